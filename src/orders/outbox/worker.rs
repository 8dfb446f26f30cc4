//! The delivery worker: one per process, it delivers due messages one by one, retrying
//! transient failures with exponential backoff, until the server stops (then it gives
//! back what it claimed).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::mailer::Mailer;
use super::queue::Attempt;
use super::queue::{claim_next, record_attempt, release};
use crate::config::RetryPolicy;
use crate::db::{self, Pool};
use crate::error::with_db;
use crate::live::Shutdown;

/// Wakes the worker when a message is queued, so it need not wait for its next poll.
#[derive(Clone, Default)]
pub struct OutboxWaker(Arc<Notify>);

impl OutboxWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Starts the delivery worker; it runs until `shutdown` begins. The returned handle
/// ends when the worker has stopped (its leases released).
pub fn start_worker(
    pool: Pool,
    mailer: Mailer,
    policy: RetryPolicy,
    shutdown: Shutdown,
) -> (OutboxWaker, tokio::task::JoinHandle<()>) {
    let waker = OutboxWaker::default();
    let notify = waker.0.clone();
    let poll = policy
        .first_delay
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let worker = tokio::spawn(async move {
        while !shutdown.has_begun() {
            if let Err(e) = deliver_due(&pool, &mailer, &policy, &shutdown).await {
                tracing::warn!(error = %e, "e-mail outbox round failed");
            }
            tokio::select! {
                _ = notify.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.begun() => {}
            }
        }
    });
    (waker, worker)
}

/// Delivers due messages one by one until none is due or the server is stopping.
async fn deliver_due(
    pool: &Pool,
    mailer: &Mailer,
    policy: &RetryPolicy,
    shutdown: &Shutdown,
) -> Result<(), crate::error::AppError> {
    let lease = policy.lease;
    while let Some(leased) = with_db(pool, move |conn| Ok(claim_next(conn, db::now_ms(), lease)?)).await? {
        if shutdown.has_begun() {
            with_db(pool, move |conn| Ok(release(conn, &leased)?)).await?;
            return Ok(());
        }
        let attempt = mailer.deliver(&leased.message).await;
        if let Attempt::Transient(e) | Attempt::Permanent(e) = &attempt {
            tracing::warn!(id = leased.message.id, error = %e, "e-mail delivery failed");
        }
        let policy = *policy;
        let id = leased.message.id;
        let written = with_db(pool, move |conn| {
            Ok(record_attempt(conn, &leased, &attempt, &policy, db::now_ms())?)
        })
        .await?;
        if !written {
            tracing::warn!(
                id,
                "e-mail lease ran out during delivery; its outcome is another worker's"
            );
        }
    }
    Ok(())
}
