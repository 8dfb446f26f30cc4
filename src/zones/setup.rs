//! Setting an event's zones up (from its zones page or `voelgoed admin create-zone` /
//! `gate-passage`): each change is checked whole, then stored with its audit entry in
//! one transaction, so a refused one changes nothing. The gate engine reads zones,
//! passages and the mismatch rule with every scan group: a change governs the next
//! scan on every instance.

use diesel::QueryResult;

use super::model::{check_passage, PassageBetween, ZoneSettings};
use super::queries;
use crate::audit::{self, Action, Subject};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::domain::ZoneMismatch;
use crate::error::AppError;
use crate::events;

/// Who made the change: a signed-in user, or the command line (None).
pub type By = Option<i64>;

/// Records what was done to the event, by whom, in the change's transaction.
pub(super) fn audited(
    conn: &mut DbConnection,
    tenant: &Tenant,
    action: Action,
    by: By,
    event_id: i64,
    details: &str,
) -> QueryResult<()> {
    let entry = audit::Entry {
        action,
        user_id: by,
        subject: Subject::Event(event_id),
        details,
    };
    audit::record(conn, tenant, &entry, db::now_ms())
}

/// Adds a zone to the event (`zone_id` None) or changes one; the zone's id.
pub fn save_zone(
    conn: &mut DbConnection,
    tenant: &Tenant,
    by: By,
    event_id: i64,
    zone_id: Option<i64>,
    zone: &ZoneSettings,
) -> Result<i64, AppError> {
    db::write_transaction(conn, |conn| {
        if queries::name_taken(conn, tenant, event_id, &zone.name, zone_id.unwrap_or(0))? {
            return Ok(Err(format!("the event has a zone called {:?} already", zone.name)));
        }
        let foreign = queries::foreign_types(conn, tenant, event_id, &zone.types)?;
        if !foreign.is_empty() {
            return Ok(Err(format!("ticket types {foreign:?} are not this event's")));
        }
        let id = match zone_id {
            None => queries::insert_zone(conn, tenant, event_id, zone, db::now_ms())?,
            Some(id) if queries::update_zone(conn, tenant, event_id, id, zone)? == 1 => id,
            Some(_) => return Err(diesel::result::Error::NotFound),
        };
        queries::set_zone_types(conn, tenant, id, &zone.types)?;
        let details = format!(
            "{}: capacity {}, when full {}, ticket types {}",
            zone.name,
            zone.capacity,
            zone.when_full.as_stored(),
            types_in_words(&zone.types)
        );
        audited(conn, tenant, Action::ZoneSaved, by, event_id, &details)?;
        Ok(Ok(id))
    })?
    .map_err(AppError::BadRequest)
}

fn types_in_words(types: &[i64]) -> String {
    match types {
        [] => "all".into(),
        _ => types.iter().map(i64::to_string).collect::<Vec<_>>().join(", "),
    }
}

/// Makes a gate a passage between the event's zones (or, with None, outside ↔ the
/// event again), refusing an unknown zone, a zone into itself and a loop.
pub fn set_passage(
    conn: &mut DbConnection,
    tenant: &Tenant,
    by: By,
    event_id: i64,
    gate_id: i64,
    passage: PassageBetween,
) -> Result<(), AppError> {
    db::write_transaction(conn, |conn| {
        let zones = queries::zones_of_event(conn, tenant, event_id)?;
        let gates = queries::passages(conn, tenant, event_id)?;
        let Some(gate) = gates.iter().find(|gate| gate.gate_id == gate_id) else {
            return Err(diesel::result::Error::NotFound);
        };
        let others = gates
            .iter()
            .filter(|other| other.gate_id != gate_id)
            .filter_map(|other| other.to.map(|to| (other.from, to)));
        if let Err(refusal) = check_passage(passage, &zones, others) {
            return Ok(Err(refusal));
        }
        queries::set_passage(conn, tenant, event_id, gate_id, passage)?;
        let name = |zone: i64| zones.iter().find(|z| z.id == zone).map_or("?", |z| z.name.as_str());
        let details = match passage {
            None => format!("{}: outside ↔ the event (no zones)", gate.name),
            Some((from, to)) => format!("{}: {} → {}", gate.name, from.map_or("outside", name), name(to)),
        };
        audited(conn, tenant, Action::GatePassageSet, by, event_id, &details)?;
        Ok(Ok(()))
    })?
    .map_err(AppError::BadRequest)
}

/// Sets what a scan assuming the wrong zone does at the event.
pub fn set_zone_mismatch(
    conn: &mut DbConnection,
    tenant: &Tenant,
    by: By,
    event_id: i64,
    rule: ZoneMismatch,
) -> Result<(), AppError> {
    db::write_transaction(conn, |conn| {
        let old = queries::zone_mismatch(conn, tenant, event_id)?;
        if old != rule {
            queries::set_zone_mismatch(conn, tenant, event_id, rule)?;
            let details = format!("{} → {}", old.as_stored(), rule.as_stored());
            audited(conn, tenant, Action::ZoneMismatchChanged, by, event_id, &details)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `voelgoed admin create-zone`: adds a zone to the event `event_id` (whichever
/// organisation's); prints its id.
pub fn create_zone_command(
    pool: &Pool,
    event_id: i64,
    name: &str,
    capacity: i64,
    when_full: &str,
) -> anyhow::Result<String> {
    let when_full = when_full.trim().parse().map_err(anyhow::Error::msg)?;
    let zone = ZoneSettings::new(name, capacity, when_full, Vec::new()).map_err(anyhow::Error::msg)?;
    let mut conn = pool.get()?;
    let tenant = events::tenant_of_event(&mut conn, event_id)?;
    Ok(save_zone(&mut conn, &tenant, None, event_id, None, &zone)?.to_string())
}

/// `voelgoed admin gate-passage`: makes the event's gate of that name (created when
/// missing) a passage `from` (`outside` or a zone's name) → `to` (a zone's name).
pub fn gate_passage_command(pool: &Pool, event_id: i64, gate: &str, from: &str, to: &str) -> anyhow::Result<String> {
    let mut conn = pool.get()?;
    let tenant = events::tenant_of_event(&mut conn, event_id)?;
    let zones = queries::zones_of_event(&mut conn, &tenant, event_id)?;
    let zone_named = |name: &str| {
        zones
            .iter()
            .find(|zone| zone.name == name.trim())
            .map(|zone| zone.id)
            .ok_or_else(|| anyhow::anyhow!("event {event_id} has no zone called {:?}", name.trim()))
    };
    let from = match from.trim() {
        "outside" => None,
        name => Some(zone_named(name)?),
    };
    let to = zone_named(to)?;
    // Checked before the gate is made, so a refused passage leaves no new gate behind.
    let others = queries::passages(&mut conn, &tenant, event_id)?;
    let others = others
        .iter()
        .filter(|g| g.name != gate.trim())
        .filter_map(|g| g.to.map(|to| (g.from, to)));
    check_passage(Some((from, to)), &zones, others).map_err(anyhow::Error::msg)?;
    let gate_id = crate::scanning::find_or_create_gate(&mut conn, &tenant, event_id, gate.trim())?;
    set_passage(&mut conn, &tenant, None, event_id, gate_id, Some((from, to)))?;
    let (from, to) = (from_name(&zones, from), from_name(&zones, Some(to)));
    Ok(format!("gate {} ({gate_id}): {from} → {to}", gate.trim()))
}

fn from_name(zones: &[super::model::Zone], zone: Option<i64>) -> String {
    zone.and_then(|id| zones.iter().find(|z| z.id == id))
        .map_or_else(|| "outside".into(), |z| z.name.clone())
}
