//! Gate scans: the admission decision, the scan totals and log, and the scan monitor.

pub mod handlers;
pub mod queries;
mod views;

pub use queries::{record_scan, Direction, GateDevice, ScanAttempt, ScanResult};
