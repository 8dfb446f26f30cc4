//! Voelgoed organiser console: live event dashboards, orders and gate scans over htmx.
//! See `docs/architecture.md` for the module map.

/// The gate engine, its own crate (`crates/engine`): device API, admission, writer,
/// counters, feed and publish; no markup and no screen.
pub use voelgoed_engine as scanning;
/// The plumbing, its own crate (`crates/platform`): databases, settings, the live spine,
/// Redis, telemetry, the client's address, tokens and every URL.
pub use voelgoed_platform::{
    client, config, db, forms, lease_queue, live, paths, quota, redis_link, telemetry, tokens, with_backend,
};
pub mod account;
pub mod arrivals;
pub mod audit;
pub mod auth;
pub mod dashboard;
/// The domain at the bottom, its own crate (`crates/domain`): ids and stored statuses.
pub use voelgoed_domain as domain;
pub mod door;
pub mod error;
pub mod events;
pub mod gate_alerts;
pub mod health;
pub mod htmx;
pub mod http_error;
pub mod kiosk;
pub mod monitor;
pub mod openapi;
pub mod orders;
pub mod overview;
pub mod panels;
pub mod provisioning;
pub mod routes;
pub mod scanner;
pub mod security_headers;
pub mod signin;
pub mod startup;
pub mod static_files;
pub mod team;
pub mod ui;
pub mod webhooks;
pub mod zones;
