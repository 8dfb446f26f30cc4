//! The scan monitor (`GET /events/{id}/scans` and its stream): capacity warning, gate
//! cards, device table and the live scan log; the entry policy shown and set there.

pub mod entry_policy;
pub mod handlers;
pub(crate) mod log_rows;
mod log_stream;
mod panel;
mod views;
