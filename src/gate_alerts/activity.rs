//! What the detector reads about a live event: its recent unknown codes and their
//! baseline, the duplicates of tickets inside, and its devices with their recent scans.
//! Every read is bounded by a time window on the arrivals index, `scans
//! (organization_id, event_id, result, scanned_at, …)`, so its cost follows the last
//! minutes' scans, not the event's history (a read of every result names all three).

use std::collections::{BTreeSet, HashMap};

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::model::Finding;
use super::offline;
use super::rules::{self, DeviceState, GateUnknowns, Presentations};
use crate::db::schema::{devices, gate_alerts, scans, tickets};
use crate::db::{DbConnection, Tenant};
use crate::domain::{Direction, ScanResult};

/// Rows a window may return at most: past this a burst is well over every threshold.
const ROWS_READ: i64 = 5_000;

/// The events worth evaluating now: with a device heard from within the baseline
/// window, or an alert still open. The detector's one read across organisations: it
/// serves them all, and each event is then read through its own tenant.
pub fn live_events(conn: &mut DbConnection, now: i64) -> QueryResult<Vec<(Tenant, i64)>> {
    let since = now - rules::BASELINE_MS - rules::RECENT_MS;
    let heard: Vec<(i64, i64)> = devices::table
        .filter(devices::last_heartbeat_at.ge(since))
        .filter(devices::revoked_at.is_null())
        .select((devices::organization_id, devices::event_id))
        .distinct()
        .load(conn)?;
    let alerting: Vec<(i64, i64)> = gate_alerts::table
        .filter(gate_alerts::closed_at.is_null())
        .select((gate_alerts::organization_id, gate_alerts::event_id))
        .distinct()
        .load(conn)?;
    let events: BTreeSet<(i64, i64)> = heard.into_iter().chain(alerting).collect();
    Ok(events
        .into_iter()
        .map(|(org, event)| (Tenant::authenticated(org), event))
        .collect())
}

/// Every condition that holds now at the event's gates.
pub fn findings(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, now: i64) -> QueryResult<Vec<Finding>> {
    let org = tenant.organization_id();
    let of_event = scans::organization_id.eq(org).and(scans::event_id.eq(event_id));
    let unknown = scans::result.eq(ScanResult::Invalid).and(scans::ticket_id.is_null());
    let recent_codes: Vec<(i64, String)> = scans::table
        .filter(of_event)
        .filter(scans::scanned_at.ge(now - rules::RECENT_MS))
        .filter(unknown)
        .select((scans::gate_id, scans::ticket_code))
        .limit(ROWS_READ)
        .load(conn)?;
    let before: Vec<(i64, i64)> = scans::table
        .filter(of_event)
        .filter(scans::scanned_at.ge(now - rules::RECENT_MS - rules::BASELINE_MS))
        .filter(scans::scanned_at.lt(now - rules::RECENT_MS))
        .filter(unknown)
        .group_by(scans::gate_id)
        .select((scans::gate_id, count_star()))
        .load(conn)?;
    let mut found = spikes(&recent_codes, &before);
    found.extend(rules::counterfeit_batches(&recent_codes));
    found.extend(passing(conn, tenant, event_id, now)?);
    found.extend(device_findings(conn, tenant, event_id, now)?);
    found.extend(offline::offline_conflicts(&offline_conflicts(
        conn, tenant, event_id, now,
    )?));
    Ok(found)
}

fn spikes(recent_codes: &[(i64, String)], before: &[(i64, i64)]) -> Vec<Finding> {
    let mut recent: HashMap<i64, i64> = HashMap::new();
    recent_codes
        .iter()
        .for_each(|(gate, _)| *recent.entry(*gate).or_default() += 1);
    let before: HashMap<i64, i64> = before.iter().copied().collect();
    let mut gates: Vec<_> = recent.into_iter().collect();
    gates.sort_unstable();
    gates
        .into_iter()
        .filter_map(|(gate_id, recent)| {
            rules::invalid_spike(GateUnknowns {
                gate_id,
                recent,
                before: before.get(&gate_id).copied().unwrap_or(0),
            })
        })
        .collect()
}

/// Entries refused as "already inside" of tickets still inside, per gate and ticket.
/// Read in two steps, the window's refusals from `scans` and then those of their
/// tickets still inside by key: joined in one statement, SQLite walked every ticket
/// inside (the plan guard caught it), a cost that grows with the crowd.
fn passing(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, now: i64) -> QueryResult<Vec<Finding>> {
    let org = tenant.organization_id();
    let refused: Vec<(i64, Option<i64>)> = scans::table
        .filter(scans::organization_id.eq(org))
        .filter(scans::event_id.eq(event_id))
        .filter(scans::scanned_at.ge(now - rules::PASSING_WINDOW_MS))
        .filter(scans::result.eq(ScanResult::Duplicate))
        .filter(scans::direction.eq(Direction::In))
        .select((scans::gate_id, scans::ticket_id))
        .limit(ROWS_READ)
        .load(conn)?;
    let ticket_ids: BTreeSet<i64> = refused.iter().filter_map(|(_, ticket)| *ticket).collect();
    let inside: BTreeSet<i64> = match ticket_ids.is_empty() {
        true => BTreeSet::new(),
        false => tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::id.eq_any(ticket_ids))
            .filter(tickets::inside_since.is_not_null())
            .select(tickets::id)
            .load::<i64>(conn)?
            .into_iter()
            .collect(),
    };
    let mut times: HashMap<(i64, i64), i64> = HashMap::new();
    for (gate_id, ticket_id) in refused {
        if let Some(ticket_id) = ticket_id.filter(|id| inside.contains(id)) {
            *times.entry((gate_id, ticket_id)).or_default() += 1;
        }
    }
    let mut seen: Vec<_> = times.into_iter().collect();
    seen.sort_unstable();
    Ok(seen
        .into_iter()
        .filter_map(|((gate_id, ticket_id), times)| {
            rules::ticket_passing(Presentations {
                gate_id,
                ticket_id,
                times,
            })
        })
        .collect())
}

/// Silent devices at busy gates, and low batteries.
fn device_findings(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, now: i64) -> QueryResult<Vec<Finding>> {
    let org = tenant.organization_id();
    let states: Vec<DeviceState> = devices::table
        .filter(devices::organization_id.eq(org))
        .filter(devices::event_id.eq(event_id))
        .filter(devices::revoked_at.is_null())
        .order(devices::id)
        .select((
            devices::id,
            devices::gate_id,
            devices::name,
            devices::last_heartbeat_at,
            devices::battery,
        ))
        .load::<(i64, i64, String, Option<i64>, Option<i32>)>(conn)?
        .into_iter()
        .map(|(device_id, gate_id, name, last_seen, battery)| DeviceState {
            device_id,
            gate_id,
            name,
            last_seen,
            battery,
        })
        .collect();
    let scans_of: HashMap<i64, i64> = scans::table
        .filter(scans::organization_id.eq(org))
        .filter(scans::event_id.eq(event_id))
        .filter(scans::result.eq_any(ScanResult::ALL))
        .filter(scans::scanned_at.ge(now - rules::SILENT_AFTER_MS))
        .group_by(scans::device_id)
        .select((scans::device_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let at_gate = |gate_id: i64, except: i64| -> i64 {
        states
            .iter()
            .filter(|d| d.gate_id == gate_id && d.device_id != except)
            .map(|d| scans_of.get(&d.device_id).copied().unwrap_or(0))
            .sum()
    };
    Ok(states
        .iter()
        .flat_map(|device| {
            let others = at_gate(device.gate_id, device.device_id);
            [
                rules::device_silent(device, others, now),
                rules::low_battery(device, now),
            ]
        })
        .flatten()
        .collect())
}

/// Scans uploaded lately that the server answered otherwise than their scanner had
/// decided offline (`scanning::api`'s offline conflicts), oldest first.
fn offline_conflicts(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    now: i64,
) -> QueryResult<Vec<offline::OfflineConflict>> {
    use crate::db::schema::offline_conflicts as conflicts;
    let found: Vec<(i64, String, ScanResult, ScanResult)> = conflicts::table
        .filter(conflicts::organization_id.eq(tenant.organization_id()))
        .filter(conflicts::event_id.eq(event_id))
        .filter(conflicts::received_at.ge(now - offline::OFFLINE_CONFLICT_WINDOW_MS))
        .order(conflicts::id)
        .select((
            conflicts::gate_id,
            conflicts::ticket_code,
            conflicts::decided,
            conflicts::answered,
        ))
        .limit(ROWS_READ)
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|(gate_id, ticket_code, decided, answered)| offline::OfflineConflict {
            gate_id,
            ticket_code,
            decided,
            answered,
        })
        .collect())
}
