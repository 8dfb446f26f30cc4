//! Signed webhooks: owners add endpoints per organisation (`/settings/webhooks`, or
//! `voelgoed admin create-webhook`) for `order.paid`, `order.refunded`,
//! `order.cancelled`, `scan.recorded` (batched, at most one delivery a second per
//! endpoint: `scan_batches.rs`) and `capacity.alert`. A change queues its deliveries in
//! its own transaction (`enqueue`: an outbox, so a rollback sends nothing and a commit
//! always sends); a worker (`courier.rs`) posts each one signed (`signing.rs`) to an
//! address checked after resolving the endpoint's host (`target.rs`), retrying with
//! backoff through the queue machinery it shares with the e-mail outbox
//! (`lease_queue`).

mod alerts;
mod courier;
mod endpoints;
pub mod handlers;
mod model;
mod queries;
mod scan_batches;
mod signing;
mod target;
mod views;

pub use alerts::{announce_alerts, subscribed_organizations};
pub use courier::{start_worker, WebhookWaker};
pub use endpoints::{add_endpoint, create_webhook_command, AddedEndpoint, EndpointRequest};
pub use model::{EventKind, EventSet};
pub use queries::enqueue;
pub use scan_batches::{start as start_scan_batches, SCANS_PER_DELIVERY};
pub use signing::{signature, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};
pub use target::{is_public, WebhookUrl};
