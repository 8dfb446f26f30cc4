//! Event queries, all scoped by the tenant.

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::model::{EntryPolicy, Event, EventSales, TimeZone};
use crate::db::schema::{events, organizations, tickets};
use crate::db::{DbConnection, Tenant};
use crate::domain::TicketStatus;

/// The tenant's events, soonest first, with their sold ticket counts.
pub fn list_events(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<Vec<EventSales>> {
    let list: Vec<Event> = events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .order((events::starts_at.desc(), events::id))
        .select(Event::as_select())
        .load(conn)?;
    let sold: Vec<(i64, i64)> = tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::status.eq(TicketStatus::Valid))
        .group_by(tickets::event_id)
        .select((tickets::event_id, count_star()))
        .load(conn)?;
    Ok(list
        .into_iter()
        .map(|event| {
            let sold = sold.iter().find(|(id, _)| *id == event.id).map_or(0, |(_, n)| *n);
            EventSales { event, sold }
        })
        .collect())
}

/// One of the tenant's events; another organisation's id is `NotFound`, like a missing one.
pub fn find_event(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Event> {
    events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .filter(events::id.eq(event_id))
        .select(Event::as_select())
        .first(conn)
}

/// One of the tenant's events' entry policy as it stands now.
pub fn entry_policy(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<EntryPolicy> {
    events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .filter(events::id.eq(event_id))
        .select(events::entry_policy)
        .first(conn)
}

/// Sets one of the tenant's events' entry policy; the policy it replaced (`NotFound`
/// for another organisation's event, like a missing one).
pub fn set_entry_policy(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    policy: EntryPolicy,
) -> QueryResult<EntryPolicy> {
    let old = entry_policy(conn, tenant, event_id)?;
    diesel::update(events::table)
        .filter(events::organization_id.eq(tenant.organization_id()))
        .filter(events::id.eq(event_id))
        .set(events::entry_policy.eq(policy))
        .execute(conn)?;
    Ok(old)
}

/// The organisation an event belongs to, for commands given only an event id.
pub fn tenant_of_event(conn: &mut DbConnection, event_id: i64) -> anyhow::Result<Tenant> {
    let org: Option<i64> = events::table
        .filter(events::id.eq(event_id))
        .select(events::organization_id)
        .first(conn)
        .optional()?;
    Ok(Tenant::authenticated(
        org.ok_or_else(|| anyhow::anyhow!("there is no event {event_id}"))?,
    ))
}

/// The organisation's time zone: lists of its orders and audit entries read dates in it.
pub fn organization_timezone(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<TimeZone> {
    organizations::table
        .filter(organizations::id.eq(tenant.organization_id()))
        .select(organizations::timezone)
        .first(conn)
}

/// The tenant's events as (id, name), soonest first: what a chooser of events lists.
pub fn event_names(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<Vec<(i64, String)>> {
    events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .order((events::starts_at.desc(), events::id))
        .select((events::id, events::name))
        .load(conn)
}
