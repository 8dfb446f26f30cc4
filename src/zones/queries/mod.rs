//! The zones' SQL, each query scoped to the tenant: an event's zones with their ticket
//! types and the gates' passages; headcounts in `corrections.rs`.

mod corrections;

pub use corrections::{correction_marks, insert_correction, lock_zone, NewCorrection};

use std::collections::HashMap;

use diesel::prelude::*;

use super::model::{GatePassage, Zone, ZoneSettings};
use crate::db::schema::{events, gates, ticket_types, zone_ticket_types, zones};
use crate::db::{DbConnection, Tenant};
use crate::domain::{WhenFull, ZoneMismatch};
use crate::with_backend;

/// The event's zones, in the order they were made.
pub fn zones_of_event(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<Zone>> {
    let rows: Vec<(i64, String, i64, WhenFull, i64, i64)> = zones::table
        .filter(zones::organization_id.eq(tenant.organization_id()))
        .filter(zones::event_id.eq(event_id))
        .order(zones::id)
        .select((
            zones::id,
            zones::name,
            zones::capacity,
            zones::when_full,
            zones::inside,
            zones::correction,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
    let limits: Vec<(i64, i64)> = zone_ticket_types::table
        .filter(zone_ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(zone_ticket_types::zone_id.eq_any(&ids))
        .order(zone_ticket_types::ticket_type_id)
        .select((zone_ticket_types::zone_id, zone_ticket_types::ticket_type_id))
        .load(conn)?;
    let mut types: HashMap<i64, Vec<i64>> = HashMap::new();
    for (zone, ticket_type) in limits {
        types.entry(zone).or_default().push(ticket_type);
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, capacity, when_full, inside, correction)| Zone {
            id,
            name,
            capacity,
            when_full,
            inside,
            correction,
            types: types.remove(&id).unwrap_or_default(),
        })
        .collect())
}

/// Whether another zone of the event has this name.
pub fn name_taken(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, name: &str, not: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        zones::table
            .filter(zones::organization_id.eq(tenant.organization_id()))
            .filter(zones::event_id.eq(event_id))
            .filter(zones::name.eq(name))
            .filter(zones::id.ne(not)),
    ))
    .get_result(conn)
}

/// Which of these ticket types are not the event's.
pub fn foreign_types(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, types: &[i64]) -> QueryResult<Vec<i64>> {
    let known: Vec<i64> = ticket_types::table
        .filter(ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(ticket_types::event_id.eq(event_id))
        .filter(ticket_types::id.eq_any(types))
        .select(ticket_types::id)
        .load(conn)?;
    Ok(types.iter().copied().filter(|t| !known.contains(t)).collect())
}

/// Adds a zone, and marks its event as one with zones (what the gate engine reads).
pub fn insert_zone(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    zone: &ZoneSettings,
    now: i64,
) -> QueryResult<i64> {
    diesel::update(events::table)
        .filter(events::organization_id.eq(tenant.organization_id()))
        .filter(events::id.eq(event_id))
        .set(events::has_zones.eq(true))
        .execute(conn)?;
    with_backend!(conn, |c| diesel::insert_into(zones::table)
        .values((
            zones::organization_id.eq(tenant.organization_id()),
            zones::event_id.eq(event_id),
            zones::name.eq(&zone.name),
            zones::capacity.eq(zone.capacity),
            zones::when_full.eq(zone.when_full),
            zones::created_at.eq(now),
        ))
        .returning(zones::id)
        .get_result(c))
}

/// Changes a zone's settings; how many rows (0: not the tenant's zone of that event).
pub fn update_zone(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    zone_id: i64,
    zone: &ZoneSettings,
) -> QueryResult<usize> {
    diesel::update(zones::table)
        .filter(zones::organization_id.eq(tenant.organization_id()))
        .filter(zones::event_id.eq(event_id))
        .filter(zones::id.eq(zone_id))
        .set((
            zones::name.eq(&zone.name),
            zones::capacity.eq(zone.capacity),
            zones::when_full.eq(zone.when_full),
        ))
        .execute(conn)
}

/// Replaces the ticket types a zone lets in.
pub fn set_zone_types(conn: &mut DbConnection, tenant: &Tenant, zone_id: i64, types: &[i64]) -> QueryResult<()> {
    diesel::delete(zone_ticket_types::table)
        .filter(zone_ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(zone_ticket_types::zone_id.eq(zone_id))
        .execute(conn)?;
    for ticket_type in types {
        diesel::insert_into(zone_ticket_types::table)
            .values((
                zone_ticket_types::organization_id.eq(tenant.organization_id()),
                zone_ticket_types::zone_id.eq(zone_id),
                zone_ticket_types::ticket_type_id.eq(ticket_type),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The event's gates, by name, with their passages.
pub fn passages(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<GatePassage>> {
    let rows: Vec<(i64, String, Option<i64>, Option<i64>)> = gates::table
        .filter(gates::organization_id.eq(tenant.organization_id()))
        .filter(gates::event_id.eq(event_id))
        .order((gates::name, gates::id))
        .select((gates::id, gates::name, gates::from_zone_id, gates::to_zone_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(gate_id, name, from, to)| GatePassage {
            gate_id,
            name,
            from,
            to,
        })
        .collect())
}

/// Sets where a gate leads; how many rows (0: not the tenant's gate of that event).
pub fn set_passage(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    gate_id: i64,
    passage: super::model::PassageBetween,
) -> QueryResult<usize> {
    let (from, to) = passage.map_or((None, None), |(from, to)| (from, Some(to)));
    diesel::update(gates::table)
        .filter(gates::organization_id.eq(tenant.organization_id()))
        .filter(gates::event_id.eq(event_id))
        .filter(gates::id.eq(gate_id))
        .set((gates::from_zone_id.eq(from), gates::to_zone_id.eq(to)))
        .execute(conn)
}

pub fn zone_mismatch(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<ZoneMismatch> {
    events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .filter(events::id.eq(event_id))
        .select(events::zone_mismatch)
        .first(conn)
}

pub fn set_zone_mismatch(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    rule: ZoneMismatch,
) -> QueryResult<usize> {
    diesel::update(events::table)
        .filter(events::organization_id.eq(tenant.organization_id()))
        .filter(events::id.eq(event_id))
        .set(events::zone_mismatch.eq(rule))
        .execute(conn)
}

/// The event's ticket types as (id, name), for the zones' ticket-type boxes.
pub fn ticket_type_names(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<(i64, String)>> {
    ticket_types::table
        .filter(ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(ticket_types::event_id.eq(event_id))
        .order(ticket_types::id)
        .select((ticket_types::id, ticket_types::name))
        .load(conn)
}

/// Whether the tenant's event has this zone.
pub fn has_zone(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, zone_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        zones::table
            .filter(zones::organization_id.eq(tenant.organization_id()))
            .filter(zones::event_id.eq(event_id))
            .filter(zones::id.eq(zone_id)),
    ))
    .get_result(conn)
}

/// Whether the tenant's event has this gate.
pub fn has_gate(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, gate_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        gates::table
            .filter(gates::organization_id.eq(tenant.organization_id()))
            .filter(gates::event_id.eq(event_id))
            .filter(gates::id.eq(gate_id)),
    ))
    .get_result(conn)
}
