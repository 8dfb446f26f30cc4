//! The counters of one process: a map per (organisation, event) of running totals and
//! a per-second ring of the last minute, behind a mutex.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use diesel::QueryResult;
use futures_util::future::BoxFuture;

use super::recount::recount;
use super::{add_many, occupancy_change, CountedScan, EventCounts, ScanCounters, Tally, WINDOW_SECONDS};
use crate::db::{DbConnection, Tenant};
use crate::error::AppError;

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
    pub fn add(&mut self, scan: &CountedScan) {
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

/// One event's counters.
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

/// The counters of one process.
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
