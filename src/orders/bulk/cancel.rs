//! Cancelling a bulk job (`POST /orders/jobs/{id}/cancel`): an owner stops any job of
//! the organisation, a maker their own. The orders the job has not reached are recorded
//! cancelled, with an audit entry, in one transaction; the chunk in flight finishes
//! (each order's outcome is written at most once, so it either ran before the cancel or
//! is cancelled), and the runner then finds nothing left and marks the job finished.

use diesel::prelude::*;

use super::model::{Job, Outcome};
use crate::audit::{self, Action, Entry, Subject};
use crate::auth::{CurrentUser, Role};
use crate::db::schema::bulk_job_orders;
use crate::db::{self, DbConnection, Tenant};
use crate::error::AppError;

/// Why the cancelled orders were not processed, on the job's rows.
const CANCELLED: &str = "the job was cancelled";

/// Whether `user` may cancel `job`: owners any, everyone else their own.
pub fn may_cancel(user: &CurrentUser, job: &Job) -> bool {
    user.role == Role::Owner || job.user_id == user.user_id
}

/// Cancels what is left of the job: how many orders it spared. 409 once it finished.
pub fn cancel(conn: &mut DbConnection, tenant: &Tenant, job: &Job, user_id: i64) -> Result<usize, AppError> {
    if job.finished_at.is_some() {
        return Err(AppError::Conflict(
            "This job has finished: nothing is left to cancel.".into(),
        ));
    }
    let spared = db::write_transaction(conn, |conn| {
        let spared = diesel::update(
            bulk_job_orders::table
                .filter(bulk_job_orders::job_id.eq(job.id))
                .filter(bulk_job_orders::outcome.is_null()),
        )
        .set((
            bulk_job_orders::outcome.eq(Outcome::Cancelled),
            bulk_job_orders::reason.eq(CANCELLED),
        ))
        .execute(conn)?;
        let entry = Entry {
            action: Action::BulkJobCancelled,
            user_id: Some(user_id),
            subject: Subject::BulkJob(job.id),
            details: &format!("{} of {} orders not processed", spared, job.total),
        };
        audit::record(conn, tenant, &entry, db::now_ms())?;
        Ok::<_, diesel::result::Error>(spared)
    })?;
    Ok(spared)
}

/// A refund of the chunk in flight went through after the cancel recorded its order
/// cancelled: the row says what happened, a refund.
pub fn refunded_after_cancel(conn: &mut DbConnection, job_id: i64, position: i64) -> QueryResult<()> {
    diesel::update(
        bulk_job_orders::table
            .filter(bulk_job_orders::job_id.eq(job_id))
            .filter(bulk_job_orders::position.eq(position))
            .filter(bulk_job_orders::outcome.eq(Outcome::Cancelled)),
    )
    .set((
        bulk_job_orders::outcome.eq(Outcome::Done),
        bulk_job_orders::reason.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(())
}
