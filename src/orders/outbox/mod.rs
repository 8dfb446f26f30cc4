//! The e-mail outbox: confirmation e-mails are queued as rows (`queue.rs`), and one
//! background worker per process (`worker.rs`) delivers them over SMTP or to a log file
//! (`mailer.rs`), retrying transient failures with exponential backoff (the queue machinery is
//! `lease_queue`, shared with the webhook deliveries).

mod mailer;
mod queue;
mod worker;

pub use crate::config::RetryPolicy;
pub use crate::lease_queue::Attempt;
pub use mailer::Mailer;
pub use queue::{count_by_status, enqueue, last_queued_for_order, NewEmail};
pub use worker::{start_from_settings, start_worker, OutboxWaker};
