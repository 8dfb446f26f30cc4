//! Outbox tables as queues, shared by the e-mail outbox and the webhook deliveries: rows
//! are claimed one at a time with a lease (so several instances on one database never
//! deliver a row twice at once), delivered by a `Courier`, and their outcome is written
//! back while the lease holds; transient failures come back after an exponential
//! backoff until the attempts run out. One worker loop (`run_queue`) drives any table with
//! `id`, `status` (a `DeliveryStatus`), `attempts`, `next_attempt_at`, `last_error`, `sent_at`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use tokio::sync::Notify;

use crate::config::RetryPolicy;
use crate::db::{now_ms, run_blocking, DbConnection, DbError, Placeholders, Pool};
use crate::domain::DeliveryStatus;
use crate::live::Shutdown;

/// What one delivery attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Worth trying again later (connection refused, a timeout, a 4xx SMTP or 5xx HTTP answer).
    Transient(String),
    /// Retrying cannot help (a malformed address, a refused target).
    Permanent(String),
}

/// A queue table, by its (trusted, constant) name.
#[derive(Clone, Copy, Debug)]
pub struct QueueTable(pub &'static str);

/// A row this worker holds the lease of until `until`: only the holder of the lease
/// delivers it and writes its outcome.
#[derive(Clone, Copy, Debug)]
pub struct Claim {
    pub id: i64,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub until: i64,
}

/// A due row, before it is claimed.
#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = BigInt)]
    next_attempt_at: i64,
}

/// Where a row stands after a failed attempt: given up (`failed`) when retrying cannot
/// help or the attempts ran out, else `queued` for the next one.
pub fn status_after_failure(permanent: bool, attempts: i32, max_attempts: i32) -> DeliveryStatus {
    if permanent || attempts >= max_attempts {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Queued
    }
}

/// The next due row of any organisation (workers act for the platform, not a tenant),
/// claimed by moving its next attempt a lease ahead. One at a time: a lease then only
/// has to outlast one delivery, which the courier's timeout bounds.
pub fn claim_next(conn: &mut DbConnection, table: QueueTable, now: i64, lease: Duration) -> QueryResult<Option<Claim>> {
    let mut p = Placeholders::for_connection(conn);
    let due: Vec<Due> = diesel::sql_query(format!(
        "SELECT id, attempts, next_attempt_at FROM {} WHERE status = 'queued' AND next_attempt_at <= {} \
         ORDER BY next_attempt_at LIMIT 4",
        table.0,
        p.placeholder()
    ))
    .bind::<BigInt, _>(now)
    .load(conn)?;
    let until = crate::db::lease::lease_end(now, lease);
    // Another worker may take one of these first: try the next.
    for row in due {
        let mut p = Placeholders::for_connection(conn);
        let won = diesel::sql_query(format!(
            "UPDATE {} SET next_attempt_at = {} WHERE id = {} AND status = 'queued' AND next_attempt_at = {}",
            table.0,
            p.placeholder(),
            p.placeholder(),
            p.placeholder()
        ))
        .bind::<BigInt, _>(until)
        .bind::<BigInt, _>(row.id)
        .bind::<BigInt, _>(row.next_attempt_at)
        .execute(conn)?;
        if won == 1 {
            return Ok(Some(Claim {
                id: row.id,
                attempts: row.attempts,
                next_attempt_at: row.next_attempt_at,
                until,
            }));
        }
    }
    Ok(None)
}

/// Gives a claimed row back undelivered (the server is stopping): due again at once.
pub fn release(conn: &mut DbConnection, table: QueueTable, claim: &Claim) -> QueryResult<()> {
    let mut p = Placeholders::for_connection(conn);
    let sql = format!(
        "UPDATE {} SET next_attempt_at = {} WHERE {}",
        table.0,
        p.placeholder(),
        held_lease(&mut p)
    );
    diesel::sql_query(sql)
        .bind::<BigInt, _>(claim.next_attempt_at)
        .bind::<BigInt, _>(claim.id)
        .bind::<BigInt, _>(claim.until)
        .execute(conn)?;
    Ok(())
}

/// The row, as long as this worker's lease on it holds: binds the id, then the lease's end.
fn held_lease(p: &mut Placeholders) -> String {
    format!(
        "id = {} AND status = 'queued' AND next_attempt_at = {}",
        p.placeholder(),
        p.placeholder()
    )
}

/// Writes the outcome, only while this worker still holds the lease; false if it was
/// lost (then another worker owns the row and its outcome).
pub fn record_attempt(
    conn: &mut DbConnection,
    table: QueueTable,
    claim: &Claim,
    attempt: &Attempt,
    policy: &RetryPolicy,
    now: i64,
) -> QueryResult<bool> {
    let attempts = claim.attempts + 1;
    let mut p = Placeholders::for_connection(conn);
    let written = match attempt {
        Attempt::Sent => {
            let sql = format!(
                "UPDATE {} SET status = 'sent', attempts = {}, sent_at = {} WHERE {}",
                table.0,
                p.placeholder(),
                p.placeholder(),
                held_lease(&mut p)
            );
            diesel::sql_query(sql)
                .bind::<Integer, _>(attempts)
                .bind::<BigInt, _>(now)
                .bind::<BigInt, _>(claim.id)
                .bind::<BigInt, _>(claim.until)
                .execute(conn)?
        }
        Attempt::Transient(error) | Attempt::Permanent(error) => {
            let permanent = matches!(attempt, Attempt::Permanent(_));
            let status = status_after_failure(permanent, attempts, policy.max_attempts);
            let sql = format!(
                "UPDATE {} SET status = {}, attempts = {}, last_error = {}, next_attempt_at = {} WHERE {}",
                table.0,
                p.placeholder(),
                p.placeholder(),
                p.placeholder(),
                p.placeholder(),
                held_lease(&mut p)
            );
            diesel::sql_query(sql)
                .bind::<Text, _>(status)
                .bind::<Integer, _>(attempts)
                .bind::<Text, _>(error.chars().take(500).collect::<String>())
                .bind::<BigInt, _>(now + policy.delay_after(attempts))
                .bind::<BigInt, _>(claim.id)
                .bind::<BigInt, _>(claim.until)
                .execute(conn)?
        }
    };
    Ok(written == 1)
}

/// Delivers what a queue's rows stand for.
pub trait Courier: 'static {
    /// One claimed row, read for delivery.
    type Item: Send + 'static;
    /// The queue's table.
    const TABLE: QueueTable;
    /// The row `id` as it is delivered; None when it is gone.
    fn load(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Self::Item>>;
    /// One attempt, bounded by the courier's own timeout (well below the lease).
    fn deliver(&self, item: &Self::Item) -> impl Future<Output = Attempt>;
}

/// Wakes a queue's worker when a row is queued, so it need not wait for its next poll.
#[derive(Clone, Default)]
pub struct QueueWaker(Arc<Notify>);

impl QueueWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// The worker loop: delivers due rows one by one until the server stops (then it gives
/// back what it claimed), waking on `waker` or every poll (the first retry delay,
/// between 50 ms and `idle_poll`, the settings' 1 s).
pub async fn run_queue<C: Courier>(
    pool: Pool,
    courier: C,
    policy: RetryPolicy,
    idle_poll: Duration,
    shutdown: Shutdown,
    waker: QueueWaker,
) {
    let poll = policy
        .first_delay
        .clamp(Duration::from_millis(50), idle_poll.max(Duration::from_millis(50)));
    while !shutdown.has_begun() {
        if let Err(e) = deliver_due(&pool, &courier, &policy, &shutdown).await {
            tracing::warn!(queue = C::TABLE.0, error = %e, "queue round failed");
        }
        tokio::select! {
            _ = waker.0.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.begun() => {}
        }
    }
}

/// Delivers due rows one by one until none is due or the server is stopping.
async fn deliver_due<C: Courier>(
    pool: &Pool,
    courier: &C,
    policy: &RetryPolicy,
    shutdown: &Shutdown,
) -> Result<(), DbError> {
    let (lease, table) = (policy.lease, C::TABLE);
    loop {
        let claimed = run_blocking(pool, move |conn| -> Result<_, DbError> {
            let Some(claim) = claim_next(conn, table, now_ms(), lease)? else {
                return Ok(None);
            };
            Ok(Some((claim, C::load(conn, claim.id)?)))
        })
        .await?;
        let Some((claim, item)) = claimed else { return Ok(()) };
        if shutdown.has_begun() {
            run_blocking(pool, move |conn| -> Result<_, DbError> {
                Ok(release(conn, table, &claim)?)
            })
            .await?;
            return Ok(());
        }
        let attempt = match &item {
            Some(item) => courier.deliver(item).await,
            None => Attempt::Permanent("the row to deliver is gone".into()),
        };
        if let Attempt::Transient(e) | Attempt::Permanent(e) = &attempt {
            tracing::warn!(queue = table.0, id = claim.id, error = %e, "delivery failed");
        }
        let policy = *policy;
        let written = run_blocking(pool, move |conn| -> Result<_, DbError> {
            Ok(record_attempt(conn, table, &claim, &attempt, &policy, now_ms())?)
        })
        .await?;
        if !written {
            tracing::warn!(
                queue = table.0,
                id = claim.id,
                "lease ran out during delivery; its outcome is another worker's"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_delay() {
        let policy = RetryPolicy {
            first_delay: Duration::from_secs(30),
            max_attempts: 6,
            lease: Duration::from_secs(120),
        };
        let delays: Vec<i64> = (1..=4).map(|n| policy.delay_after(n)).collect();
        assert_eq!(delays, [30_000, 60_000, 120_000, 240_000]);
    }

    #[test]
    fn a_row_is_given_up_when_retrying_cannot_help_or_attempts_ran_out() {
        assert_eq!(status_after_failure(false, 1, 6), DeliveryStatus::Queued);
        assert_eq!(status_after_failure(true, 1, 6), DeliveryStatus::Failed);
        assert_eq!(status_after_failure(false, 6, 6), DeliveryStatus::Failed);
    }
}
