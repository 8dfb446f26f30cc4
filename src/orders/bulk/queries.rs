//! The bulk jobs' tables: creating a job once per form key, reading its progress and
//! refusals for its page (scoped by the tenant), and the runner's side: claiming an
//! unfinished job under a lease (`db::lease`, as the outbox claims mail), its next
//! chunk of orders, each order's outcome written at most once, and the job's end.

use std::time::Duration;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{Job, NewJob, Outcome, Progress, Refusal, NO_SUCH_ORDER};
use super::scope;
use crate::db::schema::{bulk_job_orders, bulk_jobs, orders};
use crate::db::{self, lease, DbConnection, Tenant};
use crate::with_backend;

/// Rows inserted per statement (a few thousand bound values, under both backends' limits).
const INSERT_ROWS: usize = 1_000;

type JobColumns = (
    bulk_jobs::id,
    bulk_jobs::organization_id,
    bulk_jobs::user_id,
    bulk_jobs::action,
    bulk_jobs::refund_reason,
    bulk_jobs::refund_note,
    bulk_jobs::total,
    bulk_jobs::created_at,
    bulk_jobs::finished_at,
);

const JOB_COLUMNS: JobColumns = (
    bulk_jobs::id,
    bulk_jobs::organization_id,
    bulk_jobs::user_id,
    bulk_jobs::action,
    bulk_jobs::refund_reason,
    bulk_jobs::refund_note,
    bulk_jobs::total,
    bulk_jobs::created_at,
    bulk_jobs::finished_at,
);

/// The job of this form key, created with its orders when the key is new. Ids that are
/// not the tenant's orders, or not of the maker's events, are stored refused at once
/// and never looked at again.
pub fn create_job(conn: &mut DbConnection, tenant: &Tenant, job: &NewJob) -> QueryResult<i64> {
    let created = db::write_transaction(conn, |conn| {
        if let Some(id) = job_of_key(conn, tenant, &job.job_key)? {
            return Ok(id);
        }
        insert_job(conn, tenant, job)
    });
    match created {
        // The same form posted twice at once on PostgreSQL: the other request made it.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            job_of_key(conn, tenant, &job.job_key)?.ok_or(DieselError::NotFound)
        }
        other => other,
    }
}

fn job_of_key(conn: &mut DbConnection, tenant: &Tenant, key: &str) -> QueryResult<Option<i64>> {
    bulk_jobs::table
        .filter(bulk_jobs::organization_id.eq(tenant.organization_id()))
        .filter(bulk_jobs::job_key.eq(key))
        .select(bulk_jobs::id)
        .first(conn)
        .optional()
}

fn insert_job(conn: &mut DbConnection, tenant: &Tenant, job: &NewJob) -> QueryResult<i64> {
    let org = tenant.organization_id();
    let mut theirs = Vec::with_capacity(job.order_ids.len());
    for ids in job.order_ids.chunks(INSERT_ROWS) {
        theirs.extend(scope::orders_within(conn, tenant, &job.events, ids)?);
    }
    theirs.sort_unstable();
    let refund = job.refund.as_ref();
    diesel::insert_into(bulk_jobs::table)
        .values((
            bulk_jobs::organization_id.eq(org),
            bulk_jobs::user_id.eq(job.user_id),
            bulk_jobs::job_key.eq(&job.job_key),
            bulk_jobs::action.eq(job.action),
            bulk_jobs::refund_reason.eq(refund.map(|r| r.reason)),
            bulk_jobs::refund_note.eq(refund.and_then(|r| r.note.clone())),
            bulk_jobs::total.eq(job.order_ids.len() as i64),
            bulk_jobs::created_at.eq(db::now_ms()),
        ))
        .execute(conn)?;
    let id = job_of_key(conn, tenant, &job.job_key)?.ok_or(DieselError::NotFound)?;
    let rows: Vec<_> = job
        .order_ids
        .iter()
        .enumerate()
        .map(|(position, &order_id)| {
            let known = theirs.binary_search(&order_id).is_ok();
            (
                bulk_job_orders::job_id.eq(id),
                bulk_job_orders::position.eq(position as i64),
                bulk_job_orders::order_id.eq(order_id),
                bulk_job_orders::outcome.eq((!known).then_some(Outcome::Refused)),
                bulk_job_orders::reason.eq((!known).then_some(NO_SUCH_ORDER)),
            )
        })
        .collect();
    for rows in rows.chunks(INSERT_ROWS) {
        with_backend!(&mut *conn, |inner| diesel::insert_into(bulk_job_orders::table)
            .values(rows)
            .execute(inner))?;
    }
    Ok(id)
}

/// The tenant's job (another organisation's is `NotFound`).
pub fn find_job(conn: &mut DbConnection, tenant: &Tenant, job_id: i64) -> QueryResult<Job> {
    bulk_jobs::table
        .filter(bulk_jobs::organization_id.eq(tenant.organization_id()))
        .filter(bulk_jobs::id.eq(job_id))
        .select(JOB_COLUMNS)
        .first(conn)
}

/// How far the job is, counted from its orders' outcomes.
pub fn progress(conn: &mut DbConnection, job: &Job) -> QueryResult<Progress> {
    let counts: Vec<(Option<Outcome>, i64)> = bulk_job_orders::table
        .filter(bulk_job_orders::job_id.eq(job.id))
        .group_by(bulk_job_orders::outcome)
        .select((bulk_job_orders::outcome, diesel::dsl::count_star()))
        .load(conn)?;
    let mut progress = Progress {
        total: job.total,
        finished: job.finished_at.is_some(),
        ..Progress::default()
    };
    for (outcome, n) in counts {
        match outcome {
            Some(Outcome::Done) => progress.done = n,
            Some(Outcome::Refused) => progress.refused = n,
            Some(Outcome::Failed) => progress.failed = n,
            Some(Outcome::Cancelled) => progress.cancelled = n,
            None => {}
        }
    }
    Ok(progress)
}

/// The first `limit` refused or failed orders of the job, in processing order, with
/// the codes of those it reached (the tenant's, of the maker's events).
pub fn refusals(conn: &mut DbConnection, tenant: &Tenant, job: &Job, limit: i64) -> QueryResult<Vec<Refusal>> {
    let rows: Vec<(i64, Option<Outcome>, Option<String>)> = bulk_job_orders::table
        .filter(bulk_job_orders::job_id.eq(job.id))
        .filter(bulk_job_orders::outcome.eq_any([Outcome::Refused, Outcome::Failed]))
        .order(bulk_job_orders::position)
        .limit(limit)
        .select((
            bulk_job_orders::order_id,
            bulk_job_orders::outcome,
            bulk_job_orders::reason,
        ))
        .load(conn)?;
    // An order refused as no such order shows only its id, whoever's it is.
    let ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.2.as_deref() != Some(NO_SUCH_ORDER))
        .map(|r| r.0)
        .collect();
    let codes: std::collections::HashMap<i64, String> = orders::table
        .filter(orders::organization_id.eq(tenant.organization_id()))
        .filter(orders::id.eq_any(ids))
        .select((orders::id, orders::code))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(order_id, outcome, reason)| Refusal {
            order_id,
            code: codes.get(&order_id).cloned(),
            outcome: outcome.unwrap_or(Outcome::Failed),
            reason: reason.unwrap_or_default(),
        })
        .collect())
}

/// A job the runner holds until `until`.
#[derive(Clone, Debug)]
pub struct LeasedJob {
    pub job: Job,
    pub until: i64,
}

/// The oldest unfinished job of any organisation whose lease has run out (new, or left
/// by a runner that stopped), claimed by moving its lease ahead.
pub fn claim_job(conn: &mut DbConnection, now: i64, lease_for: Duration) -> QueryResult<Option<LeasedJob>> {
    let due: Vec<(i64, i64)> = bulk_jobs::table
        .filter(bulk_jobs::finished_at.is_null())
        .filter(bulk_jobs::lease_until.lt(now))
        .order(bulk_jobs::id)
        .limit(4)
        .select((bulk_jobs::id, bulk_jobs::lease_until))
        .load(conn)?;
    let until = lease::lease_end(now, lease_for);
    for (id, seen) in due {
        if move_lease(conn, id, seen, until)? {
            let job = bulk_jobs::table.find(id).select(JOB_COLUMNS).first(conn)?;
            return Ok(Some(LeasedJob { job, until }));
        }
    }
    Ok(None)
}

/// Moves the job's lease from `held` to `until`: false when it was lost to another runner.
pub fn move_lease(conn: &mut DbConnection, job_id: i64, held: i64, until: i64) -> QueryResult<bool> {
    let changed = diesel::update(
        bulk_jobs::table
            .filter(bulk_jobs::id.eq(job_id))
            .filter(bulk_jobs::finished_at.is_null())
            .filter(bulk_jobs::lease_until.eq(held)),
    )
    .set(bulk_jobs::lease_until.eq(until))
    .execute(conn)?;
    Ok(lease::won(changed))
}

/// Up to `limit` orders of the job without an outcome yet: (position, order id).
pub fn pending(conn: &mut DbConnection, job_id: i64, limit: i64) -> QueryResult<Vec<(i64, i64)>> {
    bulk_job_orders::table
        .filter(bulk_job_orders::job_id.eq(job_id))
        .filter(bulk_job_orders::outcome.is_null())
        .order(bulk_job_orders::position)
        .limit(limit)
        .select((bulk_job_orders::position, bulk_job_orders::order_id))
        .load(conn)
}

/// Writes an order's outcome unless it has one: false when another runner processed
/// it first (then what this runner did in the same transaction must not stand).
pub fn record_outcome(
    conn: &mut DbConnection,
    job_id: i64,
    position: i64,
    outcome: Outcome,
    reason: Option<&str>,
) -> QueryResult<bool> {
    let changed = diesel::update(
        bulk_job_orders::table
            .filter(bulk_job_orders::job_id.eq(job_id))
            .filter(bulk_job_orders::position.eq(position))
            .filter(bulk_job_orders::outcome.is_null()),
    )
    .set((bulk_job_orders::outcome.eq(outcome), bulk_job_orders::reason.eq(reason)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Marks the job finished (while this runner holds it).
pub fn finish(conn: &mut DbConnection, job_id: i64, held: i64, now: i64) -> QueryResult<bool> {
    let changed = diesel::update(
        bulk_jobs::table
            .filter(bulk_jobs::id.eq(job_id))
            .filter(bulk_jobs::lease_until.eq(held)),
    )
    .set((bulk_jobs::finished_at.eq(Some(now)), bulk_jobs::lease_until.eq(0)))
    .execute(conn)?;
    Ok(lease::won(changed))
}

/// The orders a finished export job took, in processing order, `limit` after `after`
/// (a position): what its CSV holds.
pub fn done_orders(conn: &mut DbConnection, job_id: i64, after: i64, limit: i64) -> QueryResult<Vec<(i64, i64)>> {
    bulk_job_orders::table
        .filter(bulk_job_orders::job_id.eq(job_id))
        .filter(bulk_job_orders::outcome.eq(Outcome::Done))
        .filter(bulk_job_orders::position.gt(after))
        .order(bulk_job_orders::position)
        .limit(limit)
        .select((bulk_job_orders::position, bulk_job_orders::order_id))
        .load(conn)
}
