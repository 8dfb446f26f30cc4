//! A job's action on one chunk of its orders, through the single-order functions
//! (`queue_confirmation_from`, `refund`), so each order gets its audit entry, its live
//! updates and the same rules (a refusal is stored with its reason). Each order's
//! outcome is written at most once: resends and exports in one transaction per chunk
//! (the action and its outcome commit together, or neither), refunds once per
//! job-and-order idempotency key (a second runner's refund is "already done").

use diesel::result::Error as DieselError;
use diesel::Connection;

use super::model::{BulkAction, Job, Outcome};
use super::scope::{self, Screened};
use super::{cancel, queries};
use crate::db::{self, DbConnection, Tenant};
use crate::live::Bus;
use crate::orders::model::{OrderStatus, RefundReason};
use crate::orders::order::{
    queue_confirmation_from, refund, RefundRefused, RefundRequest, RefundScope, ResendOrigin, ResendRefused,
};

/// Orders per chunk: one transaction each (resends, exports), and one progress update.
/// Small enough that a chunk holds SQLite's one write lock for tens of milliseconds, so
/// the gates' scan writer never waits long behind a job (250 held it 100–180 ms).
pub const CHUNK: i64 = 64;

/// Processes the job's next chunk; how many orders it held (0: nothing was left). The
/// maker's rights are read again first (`scope::screen`): what they may no longer
/// reach is refused without being read.
pub fn run_chunk(conn: &mut DbConnection, bus: &dyn Bus, tenant: &Tenant, job: &Job) -> diesel::QueryResult<usize> {
    let pending = queries::pending(conn, job.id, CHUNK)?;
    let held = pending.len();
    let Screened {
        allowed,
        refused,
        resends_counted,
    } = scope::screen(conn, tenant, job, pending)?;
    if !refused.is_empty() {
        db::write_transaction(conn, |conn| {
            refused.iter().try_for_each(|&(position, reason)| {
                queries::record_outcome(conn, job.id, position, Outcome::Refused, Some(reason)).map(|_| ())
            })
        })?;
    }
    let origin = ResendOrigin::BulkJob {
        job: job.id,
        counted: resends_counted,
    };
    match job.action {
        BulkAction::Resend => db::write_transaction(conn, |conn| {
            allowed
                .iter()
                .try_for_each(|&(position, order_id)| resend_one(conn, tenant, job, origin, (position, order_id)))
        })?,
        BulkAction::Refund => allowed
            .iter()
            .try_for_each(|&(position, order_id)| refund_one(conn, bus, tenant, job, position, order_id))?,
        // The orders are the tenant's, of the maker's events: the CSV is read from them
        // when it is downloaded.
        BulkAction::Export => db::write_transaction(conn, |conn| {
            allowed.iter().try_for_each(|&(position, _)| {
                queries::record_outcome(conn, job.id, position, Outcome::Done, None).map(|_| ())
            })
        })?,
    }
    Ok(held)
}

/// One resend and its outcome, in a savepoint of the chunk's transaction: when another
/// runner recorded this order first, the resend is undone with it.
fn resend_one(
    conn: &mut DbConnection,
    tenant: &Tenant,
    job: &Job,
    origin: ResendOrigin,
    (position, order_id): (i64, i64),
) -> diesel::QueryResult<()> {
    let attempt = conn.transaction(|conn| {
        let queued = queue_confirmation_from(conn, tenant, job.user_id, order_id, origin)?;
        let (outcome, reason) = match queued {
            Ok(()) => (Outcome::Done, None),
            Err(refused) => (Outcome::Refused, Some(resend_refusal(&refused))),
        };
        match queries::record_outcome(conn, job.id, position, outcome, reason.as_deref())? {
            true => Ok(()),
            false => Err(DieselError::RollbackTransaction),
        }
    });
    match attempt {
        Ok(()) | Err(DieselError::RollbackTransaction) => Ok(()),
        Err(e) => failed(conn, job, position, &e),
    }
}

/// One whole-order refund under the job's key for the order, then its outcome.
fn refund_one(
    conn: &mut DbConnection,
    bus: &dyn Bus,
    tenant: &Tenant,
    job: &Job,
    position: i64,
    order_id: i64,
) -> diesel::QueryResult<()> {
    let request = RefundRequest {
        user_id: job.user_id,
        order_id,
        scope: RefundScope::WholeOrder,
        idempotency_key: format!("bulk-job-{}-order-{order_id}", job.id),
        shown_amount: None,
        reason: job.refund_reason.unwrap_or(RefundReason::Other),
        note: job.refund_note.clone(),
    };
    let (outcome, reason) = match refund(conn, bus, tenant, &request) {
        // `AlreadyDone`: an earlier runner of this job refunded it under this key.
        Ok(Ok(_)) => (Outcome::Done, None),
        Ok(Err(refused)) => (Outcome::Refused, Some(refund_refusal(&refused))),
        Err(e) => return failed(conn, job, position, &e),
    };
    let recorded = queries::record_outcome(conn, job.id, position, outcome, reason.as_deref())?;
    match (recorded, outcome) {
        (false, Outcome::Done) => cancel::refunded_after_cancel(conn, job.id, position),
        _ => Ok(()),
    }
}

/// The database failed for this order alone: it is recorded failed, the job goes on.
fn failed(conn: &mut DbConnection, job: &Job, position: i64, error: &DieselError) -> diesel::QueryResult<()> {
    tracing::warn!(job = job.id, position, error = %error, "bulk job: an order failed");
    let reason = format!(
        "the database failed: {}",
        error.to_string().chars().take(200).collect::<String>()
    );
    queries::record_outcome(conn, job.id, position, Outcome::Failed, Some(&reason)).map(|_| ())
}

/// A refused resend in a few words for the job's list.
fn resend_refusal(refused: &ResendRefused) -> String {
    match refused {
        ResendRefused::NothingToConfirm(status) => format!("{status}: no confirmation to resend"),
        ResendRefused::TooSoon(_) => "a confirmation was queued less than a minute ago".into(),
        other => other.to_string(),
    }
}

/// A refused refund in a few words for the job's list.
fn refund_refusal(refused: &RefundRefused) -> String {
    match refused {
        RefundRefused::NotRefundable(OrderStatus::Refunded) => "already refunded".into(),
        RefundRefused::NotRefundable(status) => format!("{status}: nothing to refund"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_a_few_words() {
        assert_eq!(
            resend_refusal(&ResendRefused::NothingToConfirm(OrderStatus::Pending)),
            "pending: no confirmation to resend"
        );
        assert_eq!(
            refund_refusal(&RefundRefused::NotRefundable(OrderStatus::Refunded)),
            "already refunded"
        );
        assert_eq!(
            refund_refusal(&RefundRefused::NotRefundable(OrderStatus::Cancelled)),
            "cancelled: nothing to refund"
        );
    }
}
