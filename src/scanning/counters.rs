//! Live scan counters per event, gate and device: valid, duplicate and invalid counts,
//! exits, scans in the last 60 seconds and occupancy. Behind `ScanCounters` so a shared
//! (Redis) store stands in when the app is scaled out (`redis_counters.rs`); this is the
//! in-process one, rebuilt from the database at start-up so a restart shows the right
//! numbers. `recount` is the database's truth both of them are rebuilt from.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use diesel::dsl::count_star;
use diesel::prelude::*;
use futures_util::future::BoxFuture;

use super::model::{Direction, ScanResult};
use crate::db::schema::{scans, tickets};
use crate::db::{DbConnection, Tenant};
use crate::error::AppError;

/// The sliding window for "scans per minute".
pub const WINDOW_SECONDS: i64 = 60;

/// One counted scan.
#[derive(Clone, Copy, Debug)]
pub struct CountedScan {
    pub scan_id: i64,
    pub organization_id: i64,
    pub event_id: i64,
    pub gate_id: i64,
    pub device_id: i64,
    pub result: ScanResult,
    pub direction: Direction,
    pub scanned_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub valid: i64,
    pub duplicate: i64,
    pub invalid: i64,
    /// Valid exits (counted apart from valid entries).
    pub exits: i64,
    /// Scans in the last 60 seconds.
    pub per_minute: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventCounts {
    pub totals: Tally,
    pub gates: HashMap<i64, Tally>,
    pub devices: HashMap<i64, Tally>,
    /// People inside now.
    pub occupancy: i64,
}

pub trait ScanCounters: Send + Sync {
    /// Counts a committed group of scans (on the writer thread, right after the commit).
    fn record(&self, scans: &[CountedScan]);
    fn event_counts<'a>(
        &'a self,
        tenant: &'a Tenant,
        event_id: i64,
        now_ms: i64,
    ) -> BoxFuture<'a, Result<EventCounts, AppError>>;
    /// People inside now (without copying the gates' and devices' counters).
    fn occupancy<'a>(&'a self, tenant: &'a Tenant, event_id: i64) -> BoxFuture<'a, Result<i64, AppError>>;
}

/// Running totals and a per-second ring of the last minute.
pub struct Counter {
    pub tally: Tally,
    /// (unix second, scans in it), indexed by second % 60.
    pub seconds: [(i64, i64); WINDOW_SECONDS as usize],
}

impl Default for Counter {
    fn default() -> Self {
        Self {
            tally: Tally::default(),
            seconds: [(0, 0); WINDOW_SECONDS as usize],
        }
    }
}

impl Counter {
    fn add(&mut self, scan: &CountedScan) {
        add_many(&mut self.tally, scan.result, scan.direction, 1);
        self.add_to_window(scan.scanned_at.div_euclid(1000), 1);
    }

    pub fn add_to_window(&mut self, second: i64, scans: i64) {
        let slot = &mut self.seconds[second.rem_euclid(WINDOW_SECONDS) as usize];
        if slot.0 == second {
            slot.1 += scans;
        } else if slot.0 < second {
            *slot = (second, scans);
        }
    }

    pub fn snapshot(&self, now_ms: i64) -> Tally {
        let now = now_ms.div_euclid(1000);
        let per_minute = self
            .seconds
            .iter()
            .filter(|(s, _)| now - s < WINDOW_SECONDS && *s <= now)
            .map(|(_, n)| n)
            .sum();
        Tally {
            per_minute,
            ..self.tally.clone()
        }
    }
}

#[derive(Default)]
pub struct EventCounters {
    pub totals: Counter,
    pub gates: HashMap<i64, Counter>,
    pub devices: HashMap<i64, Counter>,
    pub occupancy: i64,
}

impl EventCounters {
    pub fn snapshot(&self, now_ms: i64) -> EventCounts {
        EventCounts {
            totals: self.totals.snapshot(now_ms),
            gates: self.gates.iter().map(|(id, c)| (*id, c.snapshot(now_ms))).collect(),
            devices: self.devices.iter().map(|(id, c)| (*id, c.snapshot(now_ms))).collect(),
            occupancy: self.occupancy,
        }
    }

    /// The event's, the gate's and the device's counter: each scan counts in all three.
    pub fn counters_for(&mut self, gate_id: i64, device_id: i64) -> [&mut Counter; 3] {
        [
            &mut self.totals,
            self.gates.entry(gate_id).or_default(),
            self.devices.entry(device_id).or_default(),
        ]
    }
}

#[derive(Default)]
pub struct InProcessCounters {
    events: Mutex<HashMap<(i64, i64), EventCounters>>,
}

impl InProcessCounters {
    /// Counts every scan and every ticket inside, from the database.
    pub fn rebuild(conn: &mut DbConnection, now_ms: i64) -> QueryResult<Self> {
        Ok(Self {
            events: Mutex::new(recount(conn, None, now_ms)?),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), EventCounters>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

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
    if let (Some(org), Some(event)) = (org, event) {
        grouped = grouped.filter(scans::organization_id.eq(org).and(scans::event_id.eq(event)));
        recent = recent.filter(scans::organization_id.eq(org).and(scans::event_id.eq(event)));
        inside = inside.filter(tickets::organization_id.eq(org).and(tickets::event_id.eq(event)));
    }
    let grouped: Vec<(i64, i64, i64, i64, String, String, i64)> = grouped.load(conn)?;
    let recent: Vec<(i64, i64, i64, i64, i64)> = recent.load(conn)?;
    let inside: Vec<(i64, i64, i64)> = inside.load(conn)?;
    let mut events: HashMap<(i64, i64), EventCounters> = HashMap::new();
    for (org, event, gate, device, result, direction, n) in grouped {
        let (Ok(result), Ok(direction)) = (result.parse::<ScanResult>(), direction.parse::<Direction>()) else {
            continue;
        };
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
    Ok(events)
}

pub fn add_many(tally: &mut Tally, result: ScanResult, direction: Direction, n: i64) {
    match (result, direction) {
        (ScanResult::Valid, Direction::In) => tally.valid += n,
        (ScanResult::Valid, Direction::Out) => tally.exits += n,
        (ScanResult::Duplicate, _) => tally.duplicate += n,
        (ScanResult::Invalid, _) => tally.invalid += n,
    }
}

impl ScanCounters for InProcessCounters {
    fn record(&self, scans: &[CountedScan]) {
        let mut events = self.lock();
        for scan in scans {
            let entry = events.entry((scan.organization_id, scan.event_id)).or_default();
            for counter in entry.counters_for(scan.gate_id, scan.device_id) {
                counter.add(scan);
            }
            entry.occupancy += occupancy_change(scan);
        }
    }

    fn event_counts<'a>(
        &'a self,
        tenant: &'a Tenant,
        event_id: i64,
        now_ms: i64,
    ) -> BoxFuture<'a, Result<EventCounts, AppError>> {
        let counts = self
            .lock()
            .get(&(tenant.organization_id(), event_id))
            .map(|entry| entry.snapshot(now_ms))
            .unwrap_or_default();
        Box::pin(std::future::ready(Ok(counts)))
    }

    fn occupancy<'a>(&'a self, tenant: &'a Tenant, event_id: i64) -> BoxFuture<'a, Result<i64, AppError>> {
        let inside = self
            .lock()
            .get(&(tenant.organization_id(), event_id))
            .map_or(0, |entry| entry.occupancy);
        Box::pin(std::future::ready(Ok(inside)))
    }
}

/// What a scan does to the number of people inside.
pub fn occupancy_change(scan: &CountedScan) -> i64 {
    match (scan.result, scan.direction) {
        (ScanResult::Valid, Direction::In) => 1,
        (ScanResult::Valid, Direction::Out) => -1,
        _ => 0,
    }
}
