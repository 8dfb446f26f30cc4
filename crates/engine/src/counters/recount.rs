//! The counters as the database has them: what the in-process counters are built from
//! at start-up, what the Redis counters are rebuilt from, and what is read while Redis
//! cannot answer.

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::event_counters::EventCounters;
use super::{add_many, WINDOW_SECONDS};
use crate::db::schema::{scans, tickets, zones};
use crate::db::{DbConnection, Tenant};
use crate::model::{Direction, ScanResult};

/// Counters per (organisation id, event id).
pub type CountersByEvent = HashMap<(i64, i64), EventCounters>;

/// The counters as the database has them, per (organisation, event): of one event, or
/// of all of them.
pub fn recount(conn: &mut DbConnection, only: Option<(&Tenant, i64)>, now_ms: i64) -> QueryResult<CountersByEvent> {
    let (org, event) = only.map_or((None, None), |(tenant, event)| {
        (Some(tenant.organization_id()), Some(event))
    });
    let mut grouped = scans::table
        .group_by((
            scans::organization_id,
            scans::event_id,
            scans::gate_id,
            scans::device_id,
            scans::result,
            scans::direction,
        ))
        .select((
            scans::organization_id,
            scans::event_id,
            scans::gate_id,
            scans::device_id,
            scans::result,
            scans::direction,
            count_star(),
        ))
        .into_boxed();
    let mut recent = scans::table
        .filter(scans::scanned_at.gt(now_ms - WINDOW_SECONDS * 1000))
        .select((
            scans::organization_id,
            scans::event_id,
            scans::gate_id,
            scans::device_id,
            scans::scanned_at,
        ))
        .into_boxed();
    let mut inside = tickets::table
        .filter(tickets::inside_since.is_not_null())
        .group_by((tickets::organization_id, tickets::event_id))
        .select((tickets::organization_id, tickets::event_id, count_star()))
        .into_boxed();
    let mut in_zones = tickets::table
        .filter(tickets::inside_zone_id.is_not_null())
        .group_by((tickets::organization_id, tickets::event_id, tickets::inside_zone_id))
        .select((
            tickets::organization_id,
            tickets::event_id,
            tickets::inside_zone_id.assume_not_null(),
            count_star(),
        ))
        .into_boxed();
    let mut corrections = zones::table
        .filter(zones::correction.ne(0))
        .select((zones::organization_id, zones::event_id, zones::id, zones::correction))
        .into_boxed();
    if let (Some(org), Some(event)) = (org, event) {
        grouped = grouped.filter(scans::organization_id.eq(org).and(scans::event_id.eq(event)));
        // Every result named: the window is read from the arrivals index, whose third
        // column is the result (a window index of its own cost every scan an entry).
        recent = recent
            .filter(scans::organization_id.eq(org).and(scans::event_id.eq(event)))
            .filter(scans::result.eq_any(ScanResult::ALL));
        inside = inside.filter(tickets::organization_id.eq(org).and(tickets::event_id.eq(event)));
        in_zones = in_zones.filter(tickets::organization_id.eq(org).and(tickets::event_id.eq(event)));
        corrections = corrections.filter(zones::organization_id.eq(org).and(zones::event_id.eq(event)));
    }
    let grouped: Vec<(i64, i64, i64, i64, ScanResult, Direction, i64)> = grouped.load(conn)?;
    let recent: Vec<(i64, i64, i64, i64, i64)> = recent.load(conn)?;
    let inside: Vec<(i64, i64, i64)> = inside.load(conn)?;
    let mut events: HashMap<(i64, i64), EventCounters> = HashMap::new();
    for (org, event, gate, device, result, direction, n) in grouped {
        let entry = events.entry((org, event)).or_default();
        for counter in entry.counters_for(gate, device) {
            add_many(&mut counter.tally, result, direction, n);
        }
    }
    for (org, event, gate, device, at) in recent {
        let entry = events.entry((org, event)).or_default();
        for counter in entry.counters_for(gate, device) {
            counter.add_to_window(at.div_euclid(1000), 1);
        }
    }
    for (org, event, n) in inside {
        events.entry((org, event)).or_default().occupancy = n;
    }
    let in_zones: Vec<(i64, i64, i64, i64)> = in_zones.load(conn)?;
    for (org, event, zone, n) in in_zones {
        events.entry((org, event)).or_default().zones.insert(zone, n);
    }
    let corrections: Vec<(i64, i64, i64, i64)> = corrections.load(conn)?;
    for (org, event, zone, correction) in corrections {
        events
            .entry((org, event))
            .or_default()
            .corrections
            .insert(zone, correction);
    }
    Ok(events)
}
