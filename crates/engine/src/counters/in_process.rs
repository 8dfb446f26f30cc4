//! The counters of one process: a map per (organisation, event) of running totals and
//! a per-second ring of the last minute, behind a mutex.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use diesel::QueryResult;
use futures_util::future::BoxFuture;

use super::event_counters::EventCounters;
use super::recount::recount;
use super::{CountedScan, EventCounts, ScanCounters};
use crate::db::{DbConnection, DbError, Tenant};

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
            if let Some(moved) = &scan.moved {
                entry.add_movement(moved);
            }
        }
    }

    fn event_counts<'a>(
        &'a self,
        tenant: &'a Tenant,
        event_id: i64,
        now_ms: i64,
    ) -> BoxFuture<'a, Result<EventCounts, DbError>> {
        let counts = self
            .lock()
            .get(&(tenant.organization_id(), event_id))
            .map(|entry| entry.snapshot(now_ms))
            .unwrap_or_default();
        Box::pin(std::future::ready(Ok(counts)))
    }

    fn occupancy<'a>(&'a self, tenant: &'a Tenant, event_id: i64) -> BoxFuture<'a, Result<i64, DbError>> {
        let inside = self
            .lock()
            .get(&(tenant.organization_id(), event_id))
            .map_or(0, EventCounters::inside);
        Box::pin(std::future::ready(Ok(inside)))
    }

    fn set_corrections<'a>(
        &'a self,
        tenant: &'a Tenant,
        event_id: i64,
        corrections: HashMap<i64, i64>,
    ) -> BoxFuture<'a, Result<(), DbError>> {
        let mut events = self.lock();
        events
            .entry((tenant.organization_id(), event_id))
            .or_default()
            .corrections = corrections;
        Box::pin(std::future::ready(Ok(())))
    }
}
