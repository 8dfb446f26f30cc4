//! The device API (`POST /api/scans`, heartbeats): decisions, batches and the devices
//! behind them. Bad batches: `bad_input/scans.rs`; hostile ones: `bad_input/hostile.rs`.

mod batches;
mod decisions;
mod devices;
mod groups;
