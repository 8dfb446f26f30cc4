//! The e-mail delivery worker: one per process, it runs the shared queue loop
//! (`lease_queue`) over the outbox table with the mailer as its courier, until the
//! server stops (then it gives back what it claimed).

use std::time::Duration;

use super::mailer::Mailer;
use super::queue::{load_email, OutgoingEmail};
use crate::config::{RetryPolicy, Settings};
use crate::db::{DbConnection, Pool};
use crate::lease_queue::{run_queue, Attempt, Courier, QueueTable, QueueWaker};
use crate::live::Shutdown;

/// Wakes the worker when a message is queued, so it need not wait for its next poll.
#[derive(Clone, Default)]
pub struct OutboxWaker(QueueWaker);

impl OutboxWaker {
    pub fn wake(&self) {
        self.0.wake();
    }
}

impl Courier for Mailer {
    type Item = OutgoingEmail;
    const TABLE: QueueTable = QueueTable("email_outbox");

    fn load(conn: &mut DbConnection, id: i64) -> diesel::QueryResult<Option<OutgoingEmail>> {
        load_email(conn, id)
    }

    async fn deliver(&self, message: &OutgoingEmail) -> Attempt {
        Mailer::deliver(self, message).await
    }
}

/// Starts the delivery worker; it runs until `shutdown` begins. The returned handle
/// ends when the worker has stopped (its leases released). Unwoken, it looks for due
/// messages at most every `idle_poll`.
pub fn start_worker(
    pool: Pool,
    mailer: Mailer,
    policy: RetryPolicy,
    idle_poll: Duration,
    shutdown: Shutdown,
) -> (OutboxWaker, tokio::task::JoinHandle<()>) {
    let waker = OutboxWaker::default();
    let worker = tokio::spawn(run_queue(pool, mailer, policy, idle_poll, shutdown, waker.0.clone()));
    (waker, worker)
}

/// The worker as the settings say: delivering over SMTP, or into the log.
pub fn start_from_settings(
    settings: &Settings,
    pool: &Pool,
    shutdown: &Shutdown,
) -> anyhow::Result<(OutboxWaker, tokio::task::JoinHandle<()>)> {
    let mailer = match &settings.smtp {
        Some(url) => Mailer::smtp(url, &settings.mail_from, settings.email_retry.smtp_timeout())?,
        None => Mailer::Log {
            file: settings.mail_log.clone(),
        },
    };
    Ok(start_worker(
        pool.clone(),
        mailer,
        settings.email_retry,
        settings.idle_poll,
        shutdown.clone(),
    ))
}
