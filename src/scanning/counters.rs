//! Live scan counters per event, gate and device: valid, duplicate and invalid counts,
//! exits, scans in the last 60 seconds and occupancy. Behind `ScanCounters` so a shared
//! (Redis) store can stand in when the app is scaled out; this is the in-process one,
//! rebuilt from the database at start-up so a restart shows the right numbers.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::decision::{Direction, ScanResult};
use crate::db::schema::{scans, tickets};
use crate::db::{DbConnection, Tenant};

/// The sliding window for "scans per minute".
const WINDOW_SECONDS: i64 = 60;

/// One counted scan.
#[derive(Clone, Copy, Debug)]
pub struct CountedScan {
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
    fn record(&self, tenant: &Tenant, scans: &[CountedScan]);
    fn event_counts(&self, tenant: &Tenant, event_id: i64, now_ms: i64) -> EventCounts;
    /// People inside now (without copying the gates' and devices' counters).
    fn occupancy(&self, tenant: &Tenant, event_id: i64) -> i64;
}

/// Running totals and a per-second ring of the last minute.
struct Counter {
    tally: Tally,
    /// (unix second, scans in it), indexed by second % 60.
    seconds: [(i64, i64); WINDOW_SECONDS as usize],
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

    fn add_to_window(&mut self, second: i64, scans: i64) {
        let slot = &mut self.seconds[second.rem_euclid(WINDOW_SECONDS) as usize];
        if slot.0 == second {
            slot.1 += scans;
        } else if slot.0 < second {
            *slot = (second, scans);
        }
    }

    fn snapshot(&self, now_ms: i64) -> Tally {
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
struct EventCounters {
    totals: Counter,
    gates: HashMap<i64, Counter>,
    devices: HashMap<i64, Counter>,
    occupancy: i64,
}

impl EventCounters {
    /// The event's, the gate's and the device's counter: each scan counts in all three.
    fn counters_for(&mut self, gate_id: i64, device_id: i64) -> [&mut Counter; 3] {
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
        let counters = Self::default();
        let grouped: Vec<(i64, i64, i64, i64, String, String, i64)> = scans::table
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
            .load(conn)?;
        let recent: Vec<(i64, i64, i64, i64, i64)> = scans::table
            .filter(scans::scanned_at.gt(now_ms - WINDOW_SECONDS * 1000))
            .select((
                scans::organization_id,
                scans::event_id,
                scans::gate_id,
                scans::device_id,
                scans::scanned_at,
            ))
            .load(conn)?;
        let inside: Vec<(i64, i64, i64)> = tickets::table
            .filter(tickets::inside_since.is_not_null())
            .group_by((tickets::organization_id, tickets::event_id))
            .select((tickets::organization_id, tickets::event_id, count_star()))
            .load(conn)?;
        let mut events = counters.lock();
        for (org, event, gate, device, result, direction, n) in grouped {
            let (Some(result), Some(direction)) = (ScanResult::parse(&result), Direction::parse(&direction)) else {
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
        drop(events);
        Ok(counters)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), EventCounters>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn add_many(tally: &mut Tally, result: ScanResult, direction: Direction, n: i64) {
    match (result, direction) {
        (ScanResult::Valid, Direction::In) => tally.valid += n,
        (ScanResult::Valid, Direction::Out) => tally.exits += n,
        (ScanResult::Duplicate, _) => tally.duplicate += n,
        (ScanResult::Invalid, _) => tally.invalid += n,
    }
}

impl ScanCounters for InProcessCounters {
    fn record(&self, tenant: &Tenant, scans: &[CountedScan]) {
        let mut events = self.lock();
        for scan in scans {
            let entry = events.entry((tenant.organization_id(), scan.event_id)).or_default();
            for counter in entry.counters_for(scan.gate_id, scan.device_id) {
                counter.add(scan);
            }
            match (scan.result, scan.direction) {
                (ScanResult::Valid, Direction::In) => entry.occupancy += 1,
                (ScanResult::Valid, Direction::Out) => entry.occupancy -= 1,
                _ => {}
            }
        }
    }

    fn event_counts(&self, tenant: &Tenant, event_id: i64, now_ms: i64) -> EventCounts {
        let events = self.lock();
        let Some(entry) = events.get(&(tenant.organization_id(), event_id)) else {
            return EventCounts::default();
        };
        EventCounts {
            totals: entry.totals.snapshot(now_ms),
            gates: entry.gates.iter().map(|(id, c)| (*id, c.snapshot(now_ms))).collect(),
            devices: entry.devices.iter().map(|(id, c)| (*id, c.snapshot(now_ms))).collect(),
            occupancy: entry.occupancy,
        }
    }

    fn occupancy(&self, tenant: &Tenant, event_id: i64) -> i64 {
        self.lock()
            .get(&(tenant.organization_id(), event_id))
            .map_or(0, |entry| entry.occupancy)
    }
}
