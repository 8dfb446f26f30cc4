//! Sign-in attempts: the throttle's memory (`throttle.rs` decides with it). Looked up
//! by address and e-mail before any tenant is known.

use diesel::prelude::*;

use crate::db::schema::sign_in_attempts;
use crate::db::DbConnection;
use crate::with_backend;

pub const PENDING: &str = "pending";
pub const FAILED: &str = "failed";
pub const SUCCEEDED: &str = "succeeded";
/// The steps of signing in, as `sign_in_attempts.step` stores them.
pub const PASSWORD_STEP: &str = "password";
pub const CODE_STEP: &str = "code";

/// Records an attempt as pending (it counts as a failure until it is known to be
/// none), committed before anything is counted: see `throttle`.
pub fn begin_attempt(conn: &mut DbConnection, step: &str, email: &str, address: &str, now: i64) -> QueryResult<i64> {
    with_backend!(conn, |c| diesel::insert_into(sign_in_attempts::table)
        .values((
            sign_in_attempts::step.eq(step),
            sign_in_attempts::email.eq(email),
            sign_in_attempts::address.eq(address),
            sign_in_attempts::outcome.eq(PENDING),
            sign_in_attempts::attempted_at.eq(now),
        ))
        .returning(sign_in_attempts::id)
        .get_result(c))
}

pub fn finish_attempt(conn: &mut DbConnection, attempt_id: i64, outcome: &str) -> QueryResult<()> {
    diesel::update(sign_in_attempts::table.filter(sign_in_attempts::id.eq(attempt_id)))
        .set(sign_in_attempts::outcome.eq(outcome))
        .execute(conn)?;
    Ok(())
}

/// A refused attempt is forgotten: it neither counts nor keeps the window open.
pub fn forget_attempt(conn: &mut DbConnection, attempt_id: i64) -> QueryResult<()> {
    diesel::delete(sign_in_attempts::table.filter(sign_in_attempts::id.eq(attempt_id))).execute(conn)?;
    Ok(())
}

/// Attempts at `step` that did not succeed (pending or failed) since `since`, of this
/// address.
pub fn unsuccessful_from_address(conn: &mut DbConnection, step: &str, address: &str, since: i64) -> QueryResult<i64> {
    sign_in_attempts::table
        .filter(sign_in_attempts::step.eq(step))
        .filter(sign_in_attempts::address.eq(address))
        .filter(sign_in_attempts::attempted_at.gt(since))
        .filter(sign_in_attempts::outcome.ne(SUCCEEDED))
        .count()
        .get_result(conn)
}

/// Unsuccessful attempts at `step` on this account since `since`, from this address or
/// (None) from anywhere.
pub fn unsuccessful_for_account(
    conn: &mut DbConnection,
    step: &str,
    email: &str,
    address: Option<&str>,
    since: i64,
) -> QueryResult<i64> {
    let mut query = sign_in_attempts::table
        .filter(sign_in_attempts::step.eq(step))
        .filter(sign_in_attempts::email.eq(email))
        .filter(sign_in_attempts::attempted_at.gt(since))
        .filter(sign_in_attempts::outcome.ne(SUCCEEDED))
        .into_boxed();
    if let Some(address) = address {
        query = query.filter(sign_in_attempts::address.eq(address));
    }
    query.count().get_result(conn)
}

/// Whether the account signed in successfully (its password) from this address since
/// `since`.
pub fn is_known_address(conn: &mut DbConnection, email: &str, address: &str, since: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sign_in_attempts::table
            .filter(sign_in_attempts::step.eq(PASSWORD_STEP))
            .filter(sign_in_attempts::email.eq(email))
            .filter(sign_in_attempts::address.eq(address))
            .filter(sign_in_attempts::outcome.eq(SUCCEEDED))
            .filter(sign_in_attempts::attempted_at.gt(since)),
    ))
    .get_result(conn)
}

/// Forgets unsuccessful attempts older than `failures_before` and successes older than
/// `successes_before`: how many.
pub fn purge_attempts(conn: &mut DbConnection, failures_before: i64, successes_before: i64) -> QueryResult<usize> {
    diesel::delete(
        sign_in_attempts::table.filter(
            (sign_in_attempts::outcome
                .ne(SUCCEEDED)
                .and(sign_in_attempts::attempted_at.lt(failures_before)))
            .or(sign_in_attempts::attempted_at.lt(successes_before)),
        ),
    )
    .execute(conn)
}

/// Forgets the account's unsuccessful attempts at `step` from this address (it just
/// proved itself).
pub fn clear_failures(conn: &mut DbConnection, step: &str, email: &str, address: &str) -> QueryResult<()> {
    diesel::delete(
        sign_in_attempts::table
            .filter(sign_in_attempts::step.eq(step))
            .filter(sign_in_attempts::email.eq(email))
            .filter(sign_in_attempts::address.eq(address))
            .filter(sign_in_attempts::outcome.ne(SUCCEEDED)),
    )
    .execute(conn)?;
    Ok(())
}
