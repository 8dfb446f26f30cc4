//! The event dashboard (`GET /events/{id}`): occupancy gauge, ticket sales by type,
//! revenue, capacity alerts, sales velocity and the sales chart, live over the event's
//! occupancy channel, from cached metrics (`cache`) over an hourly sales rollup; and the
//! `capacity.alert` webhook when an alert begins (`alert_hooks`).

mod alert_hooks;
mod alerts;
pub mod cache;
mod chart;
pub mod handlers;
pub mod metrics;
pub mod model;
pub mod sales_rollup;
mod views;

pub use alert_hooks::start_alert_hooks;
pub use cache::MetricsCache;
