//! The e-mail outbox: confirmation e-mails are queued as rows, and one background worker
//! per process delivers them (over SMTP with `--smtp`, otherwise to a log file), retrying
//! transient failures with exponential backoff. Rows are claimed with a lease, so several
//! instances on one database never send a message twice at once.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use super::details::{audit_order, find_order, order_tickets};
use crate::db::schema::{email_outbox, events};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::live::Shutdown;

/// At most one resend per order in this window.
pub const RESEND_WINDOW_MS: i64 = 60_000;

/// Why a resend was not queued.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResendRefused {
    #[error("A confirmation e-mail for this order was queued less than a minute ago: try again in {0} s.")]
    TooSoon(i64),
    #[error("This order is {0}: it has no tickets to confirm.")]
    NothingToConfirm(String),
}

/// Queues the order's confirmation e-mail again, at most once a minute per order.
pub fn queue_confirmation(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user_id: i64,
    order_id: i64,
) -> QueryResult<Result<(), ResendRefused>> {
    let org = tenant.organization_id();
    db::write_transaction(conn, |conn| {
        let now = db::now_ms();
        let order = find_order(conn, tenant, order_id)?;
        if !matches!(order.status.as_str(), "paid" | "partially_refunded") {
            return Ok(Err(ResendRefused::NothingToConfirm(order.status.replace('_', " "))));
        }
        let last: Option<i64> = email_outbox::table
            .filter(email_outbox::organization_id.eq(org))
            .filter(email_outbox::order_id.eq(order_id))
            .select(diesel::dsl::max(email_outbox::created_at))
            .first(conn)?;
        if let Some(last) = last.filter(|last| now - last < RESEND_WINDOW_MS) {
            let wait = (RESEND_WINDOW_MS - (now - last) + 999) / 1000;
            return Ok(Err(ResendRefused::TooSoon(wait)));
        }
        let event: String = events::table
            .filter(events::organization_id.eq(org))
            .filter(events::id.eq(order.event_id))
            .select(events::name)
            .first(conn)?;
        let tickets = order_tickets(conn, tenant, order_id)?;
        let mut body = format!(
            "Hello {},\n\nThank you for your order {} for {event}.\n\nYour tickets:\n",
            order.buyer_name, order.code
        );
        for ticket in tickets.iter().filter(|t| t.status == "valid") {
            body.push_str(&format!("  {}  {}\n", ticket.ticket_type, ticket.code));
        }
        body.push_str("\nShow a ticket's code at the gate.\n");
        diesel::insert_into(email_outbox::table)
            .values((
                email_outbox::organization_id.eq(org),
                email_outbox::order_id.eq(Some(order_id)),
                email_outbox::recipient.eq(&order.buyer_email),
                email_outbox::subject.eq(format!("Your tickets for {event} (order {})", order.code)),
                email_outbox::body.eq(body),
                email_outbox::status.eq("queued"),
                email_outbox::attempts.eq(0),
                email_outbox::next_attempt_at.eq(now),
                email_outbox::created_at.eq(now),
            ))
            .execute(conn)?;
        let details = format!("confirmation e-mail queued to {}", order.buyer_email);
        audit_order(conn, tenant, user_id, order_id, "resend-confirmation", &details, now)?;
        Ok(Ok(()))
    })
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
fn claim_next(conn: &mut DbConnection, now: i64, lease: Duration) -> QueryResult<Option<Leased>> {
    let due: Vec<OutgoingEmail> = email_outbox::table
        .filter(email_outbox::status.eq("queued"))
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
    let until = now + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
    // Another worker may take one of these first: try the next.
    for message in due {
        let won = diesel::update(
            email_outbox::table
                .filter(email_outbox::id.eq(message.id))
                .filter(email_outbox::status.eq("queued"))
                .filter(email_outbox::next_attempt_at.eq(message.next_attempt_at)),
        )
        .set(email_outbox::next_attempt_at.eq(until))
        .execute(conn)?;
        if won == 1 {
            return Ok(Some(Leased { message, until }));
        }
    }
    Ok(None)
}

/// Gives a claimed message back unsent (the server is stopping): due again at once.
fn release(conn: &mut DbConnection, leased: &Leased) -> QueryResult<()> {
    diesel::update(held_lease(leased))
        .set(email_outbox::next_attempt_at.eq(leased.message.next_attempt_at))
        .execute(conn)?;
    Ok(())
}

/// The query of `held_lease`.
type HeldLease = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<email_outbox::table, diesel::dsl::Eq<email_outbox::id, i64>>,
        diesel::dsl::Eq<email_outbox::status, &'static str>,
    >,
    diesel::dsl::Eq<email_outbox::next_attempt_at, i64>,
>;

/// The row, as long as this worker's lease on it holds.
fn held_lease(leased: &Leased) -> HeldLease {
    email_outbox::table
        .filter(email_outbox::id.eq(leased.message.id))
        .filter(email_outbox::status.eq("queued"))
        .filter(email_outbox::next_attempt_at.eq(leased.until))
}

/// What one delivery attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Worth trying again later (connection refused, 4xx).
    Transient(String),
    /// Retrying cannot help (5xx, a malformed address).
    Permanent(String),
}

/// Writes the outcome, only while this worker still holds the lease; false if it was
/// lost (then another worker owns the message and its outcome).
fn record_attempt(
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
                email_outbox::status.eq("sent"),
                email_outbox::attempts.eq(attempts),
                email_outbox::sent_at.eq(Some(now)),
            ))
            .execute(conn)?,
        Attempt::Transient(error) | Attempt::Permanent(error) => {
            let give_up = matches!(attempt, Attempt::Permanent(_)) || attempts >= policy.max_attempts;
            let status = if give_up { "failed" } else { "queued" };
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

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// How often and how patiently the worker retries.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Delay after the first failed attempt; it doubles with each further one.
    pub first_delay: Duration,
    /// Attempts before a message is marked failed.
    pub max_attempts: i32,
    /// How long a claimed message stays with its worker (a crashed worker's lease
    /// ends); one SMTP delivery is bounded well below it.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(30),
            max_attempts: 6,
            lease: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The SMTP timeout: a delivery ends (as a transient failure) long before its lease.
    pub fn smtp_timeout(&self) -> Duration {
        (self.lease / 3).min(Duration::from_secs(20))
    }
}

impl RetryPolicy {
    /// Milliseconds to wait after the `attempts`-th failure: first_delay × 2^(attempts−1).
    pub fn delay_after(&self, attempts: i32) -> i64 {
        let base = self.first_delay.as_millis() as i64;
        base.saturating_mul(1 << (attempts.clamp(1, 20) - 1))
    }
}

/// Where e-mails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    /// Demo mode and servers without `--smtp`: appended to a file (when given) and logged.
    Log { file: Option<PathBuf> },
}

impl Mailer {
    /// An SMTP mailer from a URL: `smtp://host:port` (plain), `smtp://…?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (TLS).
    pub fn smtp(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("invalid --smtp URL: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid sender address {from}: {e}"))?;
        Ok(Self::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    async fn deliver(&self, message: &OutgoingEmail) -> Attempt {
        match self {
            Self::Smtp { transport, from } => {
                let to: Mailbox = match message.recipient.parse() {
                    Ok(to) => to,
                    Err(e) => return Attempt::Permanent(format!("invalid recipient address: {e}")),
                };
                let email = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(message.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(message.body.clone());
                let email = match email {
                    Ok(email) => email,
                    Err(e) => return Attempt::Permanent(format!("cannot build the message: {e}")),
                };
                match transport.send(email).await {
                    Ok(_) => Attempt::Sent,
                    Err(e) if e.is_permanent() => Attempt::Permanent(e.to_string()),
                    Err(e) => Attempt::Transient(e.to_string()),
                }
            }
            Self::Log { file } => {
                tracing::info!(to = %message.recipient, subject = %message.subject, "e-mail delivered to the log");
                let Some(path) = file else { return Attempt::Sent };
                let entry = format!(
                    "To: {}\nSubject: {}\n\n{}\n----\n",
                    message.recipient, message.subject, message.body
                );
                let written = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut file| file.write_all(entry.as_bytes()));
                match written {
                    Ok(()) => Attempt::Sent,
                    Err(e) => Attempt::Transient(format!("cannot write {}: {e}", path.display())),
                }
            }
        }
    }
}

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
    while let Some(leased) = db::run(pool, move |conn| Ok(claim_next(conn, db::now_ms(), lease)?)).await? {
        if shutdown.has_begun() {
            db::run(pool, move |conn| Ok(release(conn, &leased)?)).await?;
            return Ok(());
        }
        let attempt = mailer.deliver(&leased.message).await;
        if let Attempt::Transient(e) | Attempt::Permanent(e) = &attempt {
            tracing::warn!(id = leased.message.id, error = %e, "e-mail delivery failed");
        }
        let policy = *policy;
        let id = leased.message.id;
        let written = db::run(pool, move |conn| {
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
