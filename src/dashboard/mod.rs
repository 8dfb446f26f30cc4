//! The event dashboard (`GET /events/{id}`): occupancy gauge, ticket sales by type,
//! revenue, capacity alerts, sales velocity and the sales chart, live over the event's
//! occupancy channel, from cached metrics (`cache`) over an hourly sales rollup; and the
//! `capacity.alert` webhook when an alert begins (`capacity_alert_hooks`). Gate anomalies
//! are another thing: `gate_alerts/`.

pub mod cache;
mod capacity_alert_hooks;
mod capacity_alerts;
mod chart;
pub mod handlers;
pub mod metrics;
pub mod model;
pub mod sales_rollup;
mod views;

pub use cache::MetricsCache;
pub use capacity_alert_hooks::start_capacity_alert_hooks;
