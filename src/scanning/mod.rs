//! Gate scans: the device API, the admission decision, the group-commit writer, live
//! counters and the scan monitor.

pub mod api;
pub mod counters;
pub mod decision;
pub mod device_tokens;
pub mod feed;
pub mod handlers;
pub mod live;
pub mod queries;
pub mod redis_counters;
mod views;
pub mod writer;

pub use decision::{record_batch, Direction, GateDevice, RecordedScan, ScanAttempt, ScanResult};
pub use writer::{NotRecorded, ScanWriter, WriterFaults};
