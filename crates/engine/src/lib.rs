//! The gate engine: the device API (`api/`), the admission rules (`admission/`), the
//! group-commit writer and what it publishes (`writer/`, `publish.rs`), the live
//! counters (`counters/`) and the scan-log feed (`feed/`). No markup and no screen: the
//! screens that show the gates (`monitor/`, `door/`, `arrivals/`, `gate_alerts/`, the
//! kiosk, the dashboard) sit above and use only what is re-exported here.
//!
//! Its own crate (the console sees it as `voelgoed::scanning`): it stands on the domain
//! and the plumbing only, so no screen, feature or web error can creep into the gates'
//! path; the compiler sees to that.

use voelgoed_domain as domain;
use voelgoed_platform::{config, db, forms, live, redis_link, tokens, with_backend};

mod admission;
pub mod api;
mod counters;
mod devices;
mod feed;
pub mod model;
mod publish;
mod queries;
mod writer;

/// The admission decision as the scan writer runs it (a group of devices' batches, or
/// one, inside its transaction), for the query-plan guard and the group tests.
pub use admission::{record_batch, record_group, DeviceBatch};
pub use api::contract::ErrorAnswer;
pub use api::device_tokens::{DeviceTokens, KnownDevices, PROVEN_FOR, RECHECK_AFTER};
pub use api::ApiError;
pub use counters::{occupancy, recount, EventCounts, InProcessCounters, Occupancy, RedisCounters, ScanCounters, Tally};
pub use devices::{record_heartbeats, Heartbeat};
pub use feed::rows::DrawRow;
pub use feed::{LogFilter, LogLine, Position, Resume, ScanFeed};
pub use model::{DeviceStatus, Direction, GateDevice, RecordedScan, ScanAttempt, ScanResult};
pub use publish::Publisher;
pub use queries::{
    event_devices, event_gates, find_or_create_gate, gate_devices, latest_scans, newest_scan_id, DeviceReport,
    DeviceRow, Gate, ScanLine, SCAN_LINE_COLUMNS,
};
pub use writer::{NotRecorded, ScanWriter};

/// The device API's own connections (token lookups, heartbeats): never shared with the
/// pages, so a page, an export or a sign-in cannot exhaust what the gates need.
#[derive(Clone)]
pub struct GatePool(pub crate::db::Pool);

impl std::ops::Deref for GatePool {
    type Target = crate::db::Pool;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
