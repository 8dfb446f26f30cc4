//! Gate scans: the device API, the admission decision, the group-commit writer, live
//! counters and the scan monitor.

pub mod admission;
pub mod api;
pub mod counters;
pub mod device_tokens;
pub mod feed;
pub mod handlers;
pub mod live;
pub mod model;
pub mod queries;
mod views;
pub mod writer;

pub use model::{Direction, GateDevice, RecordedScan, ScanAttempt, ScanResult};
pub use writer::{NotRecorded, ScanWriter, WriterFaults};

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
