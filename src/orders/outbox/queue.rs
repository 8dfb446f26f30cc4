//! The outbox table as a queue: messages are queued as rows, claimed one at a time
//! with a lease (so several instances on one database never send a message twice at
//! once), and their delivery's outcome is written back while the lease holds.

use std::time::Duration;

use diesel::prelude::*;

use crate::config::RetryPolicy;
use crate::db::schema::email_outbox;
use crate::db::{self, DbConnection, Tenant};
use crate::orders::model::EmailStatus;

/// What one delivery attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Worth trying again later (connection refused, 4xx).
    Transient(String),
    /// Retrying cannot help (5xx, a malformed address).
    Permanent(String),
}

/// A message to queue about an order.
pub struct NewEmail<'a> {
    pub order_id: i64,
    pub recipient: &'a str,
    pub subject: String,
    pub body: String,
}

/// Queues a message, due at once.
pub fn enqueue(conn: &mut DbConnection, tenant: &Tenant, email: NewEmail, now: i64) -> QueryResult<()> {
    diesel::insert_into(email_outbox::table)
        .values((
            email_outbox::organization_id.eq(tenant.organization_id()),
            email_outbox::order_id.eq(Some(email.order_id)),
            email_outbox::recipient.eq(email.recipient),
            email_outbox::subject.eq(email.subject),
            email_outbox::body.eq(email.body),
            email_outbox::status.eq(EmailStatus::Queued),
            email_outbox::attempts.eq(0),
            email_outbox::next_attempt_at.eq(now),
            email_outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// When a message about the order was last queued, if ever.
pub fn last_queued_for_order(conn: &mut DbConnection, tenant: &Tenant, order_id: i64) -> QueryResult<Option<i64>> {
    email_outbox::table
        .filter(email_outbox::organization_id.eq(tenant.organization_id()))
        .filter(email_outbox::order_id.eq(order_id))
        .select(diesel::dsl::max(email_outbox::created_at))
        .first(conn)
}

/// A message the worker is delivering.
#[derive(Queryable, Clone, Debug)]
pub struct OutgoingEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
}

/// A message this worker holds the lease of until `until`: only the holder of the
/// lease delivers it and writes its outcome.
#[derive(Clone, Debug)]
pub struct Leased {
    pub message: OutgoingEmail,
    pub until: i64,
}

/// The next due message of any organisation (the worker acts for the platform, not a
/// tenant), claimed by moving its next attempt a lease ahead. One at a time: a lease
/// then only has to outlast one delivery, which the SMTP timeout bounds.
pub(super) fn claim_next(conn: &mut DbConnection, now: i64, lease: Duration) -> QueryResult<Option<Leased>> {
    let due: Vec<OutgoingEmail> = email_outbox::table
        .filter(email_outbox::status.eq(EmailStatus::Queued))
        .filter(email_outbox::next_attempt_at.le(now))
        .order(email_outbox::next_attempt_at)
        .limit(4)
        .select((
            email_outbox::id,
            email_outbox::recipient,
            email_outbox::subject,
            email_outbox::body,
            email_outbox::attempts,
            email_outbox::next_attempt_at,
        ))
        .load(conn)?;
    let until = db::lease::lease_end(now, lease);
    // Another worker may take one of these first: try the next.
    for message in due {
        let won = diesel::update(
            email_outbox::table
                .filter(email_outbox::id.eq(message.id))
                .filter(email_outbox::status.eq(EmailStatus::Queued))
                .filter(email_outbox::next_attempt_at.eq(message.next_attempt_at)),
        )
        .set(email_outbox::next_attempt_at.eq(until))
        .execute(conn)?;
        if db::lease::won(won) {
            return Ok(Some(Leased { message, until }));
        }
    }
    Ok(None)
}

/// Gives a claimed message back unsent (the server is stopping): due again at once.
pub(super) fn release(conn: &mut DbConnection, leased: &Leased) -> QueryResult<()> {
    diesel::update(held_lease(leased))
        .set(email_outbox::next_attempt_at.eq(leased.message.next_attempt_at))
        .execute(conn)?;
    Ok(())
}

/// The query of `held_lease`.
type HeldLease = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<email_outbox::table, diesel::dsl::Eq<email_outbox::id, i64>>,
        diesel::dsl::Eq<email_outbox::status, EmailStatus>,
    >,
    diesel::dsl::Eq<email_outbox::next_attempt_at, i64>,
>;

/// The row, as long as this worker's lease on it holds.
fn held_lease(leased: &Leased) -> HeldLease {
    email_outbox::table
        .filter(email_outbox::id.eq(leased.message.id))
        .filter(email_outbox::status.eq(EmailStatus::Queued))
        .filter(email_outbox::next_attempt_at.eq(leased.until))
}

/// Writes the outcome, only while this worker still holds the lease; false if it was
/// lost (then another worker owns the message and its outcome).
pub(super) fn record_attempt(
    conn: &mut DbConnection,
    leased: &Leased,
    attempt: &Attempt,
    policy: &RetryPolicy,
    now: i64,
) -> QueryResult<bool> {
    let attempts = leased.message.attempts + 1;
    let target = held_lease(leased);
    let written = match attempt {
        Attempt::Sent => diesel::update(target)
            .set((
                email_outbox::status.eq(EmailStatus::Sent),
                email_outbox::attempts.eq(attempts),
                email_outbox::sent_at.eq(Some(now)),
            ))
            .execute(conn)?,
        Attempt::Transient(error) | Attempt::Permanent(error) => {
            let permanent = matches!(attempt, Attempt::Permanent(_));
            let status = EmailStatus::after_failure(permanent, attempts, policy.max_attempts);
            diesel::update(target)
                .set((
                    email_outbox::status.eq(status),
                    email_outbox::attempts.eq(attempts),
                    email_outbox::last_error.eq(Some(truncate(error, 500))),
                    email_outbox::next_attempt_at.eq(now + policy.delay_after(attempts)),
                ))
                .execute(conn)?
        }
    };
    Ok(written == 1)
}

/// Messages of every organisation by status (for `/metrics`): read from the
/// `(status, next_attempt_at)` index alone.
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(EmailStatus, i64)>> {
    email_outbox::table
        .group_by(email_outbox::status)
        .select((email_outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
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
}
