//! The console's plumbing, below every feature: the databases (`db`), settings
//! (`config`), the Redis link, the live spine (`live`: bus, hub, frames, SSE, the
//! workers' ticker), the outbox machinery (`lease_queue`), telemetry, the client's
//! address, quotas, form helpers, tokens and their hashes, and every URL once (`paths`).
//!
//! Its own crate, so nothing here can import a feature, a screen or the web layer's
//! error: the compiler keeps the plumbing at the bottom. The console re-exports each
//! module under its own name (`voelgoed::db`, `voelgoed::live` …).

use voelgoed_domain as domain;

pub mod client;
pub mod config;
pub mod db;
pub mod forms;
pub mod lease_queue;
pub mod live;
pub mod paths;
pub mod quota;
pub mod redis_link;
pub mod telemetry;
pub mod tokens;
