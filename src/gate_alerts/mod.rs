//! Gate anomaly alerts: what counts as one (`rules.rs`, thresholds as named consts;
//! `offline.rs` for scans a scanner decided offline and the server otherwise),
//! the detector that evaluates live events off the scan path (`detector.rs` reading
//! `activity.rs`, writing through `episodes.rs`), acknowledging (`acknowledge.rs`), and
//! the views the scan monitor and the kiosk share (`views.rs`, live in `live.rs`). An
//! alert's opening, acknowledgement and closing are published as
//! `UpdateKind::AlertChanged` on `Channel::alerts`.

mod acknowledge;
mod activity;
mod detector;
mod episodes;
mod frames;
pub mod handlers;
pub mod model;
mod offline;
pub mod queries;
pub mod rules;
mod views;

pub use acknowledge::{acknowledge_alert, Acknowledgement};
pub use activity::{findings, live_events};
pub use detector::{evaluate_all, start_detector};
pub use episodes::{replace_open_alerts, CLEAR_AFTER_MS};
pub use frames::{kiosk_alert_frames, load_alerts, monitor_alert_frames, AlertScope};
pub use model::{AlertKind, Finding, OpenAlert};
pub use queries::open_alerts;
pub use views::{acknowledge_form, alert_list, kiosk_alerts, AlertsView, ALERTS_SSE_EVENT, KIOSK_ALERTS_SSE_EVENT};
