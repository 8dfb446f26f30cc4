//! Live scan counters per event, gate and device: valid, duplicate and invalid counts,
//! exits, scans in the last 60 seconds and occupancy. Behind `ScanCounters` so a shared
//! store stands in when the app is scaled out: `in_process.rs` in one process (rebuilt
//! from the database at start-up, so a restart shows the right numbers), `redis.rs`
//! scaled out; `recount.rs` is the database's truth both are rebuilt from.

mod event_counters;
mod in_process;
mod recount;
mod redis;
mod redis_fields;
mod redis_rebuild;

pub use in_process::InProcessCounters;
pub use recount::recount;
pub use redis::RedisCounters;

use std::collections::HashMap;

use futures_util::future::BoxFuture;

use crate::db::{DbError, Tenant};
use crate::model::{Direction, Movement, ScanResult};

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
    /// For a valid scan: who moved where.
    pub moved: Option<Movement>,
}

/// One counter's numbers.
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

/// An event's numbers: in all, per gate and per device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventCounts {
    pub totals: Tally,
    pub gates: HashMap<i64, Tally>,
    pub devices: HashMap<i64, Tally>,
    /// People inside now, headcount corrections included.
    pub occupancy: i64,
    /// People in each zone now (by zone id), headcount corrections included; the
    /// zones' sum is `occupancy` less those inside in no zone.
    pub zones: HashMap<i64, i64>,
}

/// Where the live counters are kept.
pub trait ScanCounters: Send + Sync {
    /// Counts a committed group of scans (on the writer thread, right after the commit).
    fn record(&self, scans: &[CountedScan]);
    fn event_counts<'a>(
        &'a self,
        tenant: &'a Tenant,
        event_id: i64,
        now_ms: i64,
    ) -> BoxFuture<'a, Result<EventCounts, DbError>>;
    /// People inside now (without copying the gates' and devices' counters).
    fn occupancy<'a>(&'a self, tenant: &'a Tenant, event_id: i64) -> BoxFuture<'a, Result<i64, DbError>>;
    /// The event's headcount corrections by zone as they now stand (absolute, as
    /// stored): each zone and the event count them on top of the tickets inside.
    fn set_corrections<'a>(
        &'a self,
        tenant: &'a Tenant,
        event_id: i64,
        corrections: HashMap<i64, i64>,
    ) -> BoxFuture<'a, Result<(), DbError>>;
}

/// Counts `n` scans of one result and direction.
pub fn add_many(tally: &mut Tally, result: ScanResult, direction: Direction, n: i64) {
    match (result, direction) {
        (ScanResult::Valid, Direction::In) => tally.valid += n,
        (ScanResult::Valid, Direction::Out) => tally.exits += n,
        (ScanResult::Duplicate, _) => tally.duplicate += n,
        (ScanResult::Invalid, _) => tally.invalid += n,
    }
}

/// What a scan does to the number of people inside.
pub fn occupancy_change(scan: &CountedScan) -> i64 {
    scan.moved.map_or(0, |moved| moved.inside)
}

/// People inside an event now and, for one gate, that gate's counts: what a kiosk shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    pub inside: i64,
    pub gate: Option<Tally>,
    /// People in each zone (by zone id), corrections included.
    pub zones: HashMap<i64, i64>,
}

/// The event's occupancy and, when asked, one gate's counts.
pub async fn occupancy(
    counters: &dyn ScanCounters,
    tenant: &Tenant,
    event_id: i64,
    gate_id: Option<i64>,
) -> Result<Occupancy, DbError> {
    let counts = counters.event_counts(tenant, event_id, crate::db::now_ms()).await?;
    let gate = gate_id.map(|id| counts.gates.get(&id).cloned().unwrap_or_default());
    Ok(Occupancy {
        inside: counts.occupancy,
        gate,
        zones: counts.zones,
    })
}
