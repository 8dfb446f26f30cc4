//! The scan monitor (`GET /events/{id}/scans` and its stream): inside and scans per
//! minute, alerts, each gate's state, arrivals, the live scan log and the devices; the
//! entry policy shown and set there; the forms that pair a phone as a gate device and
//! revoke devices (`device_forms.rs`, answered by `crate::scanner`).

mod device_forms;
mod entry_policy;
pub mod entry_rule;
pub mod handlers;
mod log_messages;
mod log_stream;
mod panel;
mod panel_views;
mod views;

pub use entry_policy::{change_entry_policy, entry_policy_command, ChangedBy};
pub use views::draw_log_row;
