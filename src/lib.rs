//! Voelgoed organiser console: live event dashboards, orders and gate scans over htmx.
//! See `docs/architecture.md` for the module map.

pub mod account;
pub mod arrivals;
pub mod audit;
pub mod auth;
pub mod client;
pub mod config;
pub mod dashboard;
pub mod db;
/// The domain at the bottom, its own crate (`crates/domain`): ids and stored statuses.
pub use voelgoed_domain as domain;
pub mod door;
pub mod error;
pub mod events;
pub mod forms;
pub mod gate_alerts;
pub mod health;
pub mod htmx;
pub mod http_error;
pub mod kiosk;
pub mod lease_queue;
pub mod live;
pub mod monitor;
pub mod orders;
pub mod overview;
pub mod panels;
pub mod paths;
pub mod provisioning;
pub mod quota;
pub mod redis_link;
pub mod routes;
pub mod scanning;
pub mod security_headers;
pub mod signin;
pub mod startup;
pub mod static_files;
pub mod team;
pub mod telemetry;
pub mod ui;
pub mod webhooks;
