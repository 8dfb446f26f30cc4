//! Two-factor sign-in's rows: the secret and the newest step used (`two_factor`), the
//! recovery codes' hashes, the sessions waiting for a code, and the organisation's
//! policy. Every query of a signed-in user's is scoped by the tenant; the pending
//! session is found by its token, before the user has proved who they are.

use diesel::prelude::*;

use crate::db::schema::{organizations, recovery_codes, sessions, two_factor, users};
use crate::db::{DbConnection, Tenant};
use crate::with_backend;

/// A session waiting for its code, with its user.
pub struct PendingRow {
    pub session_id: i64,
    pub user_id: i64,
    pub organization_id: i64,
    pub email: String,
    pub csrf_token: String,
}

/// The session with this token hash when it waits for a code, has not run out, and
/// its user is active.
pub fn find_pending_session(conn: &mut DbConnection, token_hash: &str, now: i64) -> QueryResult<Option<PendingRow>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::awaiting_code.eq(true))
        .filter(sessions::expires_at.gt(now))
        .filter(users::deactivated_at.is_null())
        .select((
            sessions::id,
            users::id,
            users::organization_id,
            users::email,
            sessions::csrf_token,
        ))
        .first::<(i64, i64, i64, String, String)>(conn)
        .optional()
        .map(|row| {
            row.map(|(session_id, user_id, organization_id, email, csrf_token)| PendingRow {
                session_id,
                user_id,
                organization_id,
                email,
                csrf_token,
            })
        })
}

pub fn delete_session_by_id(conn: &mut DbConnection, session_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::id.eq(session_id))).execute(conn)
}

/// A user's secret as stored, with their address (the throttle's account).
pub struct StoredSecret {
    pub secret: String,
    pub confirmed: bool,
    pub email: String,
}

pub fn find_secret(conn: &mut DbConnection, tenant: &Tenant, user_id: i64) -> QueryResult<Option<StoredSecret>> {
    two_factor::table
        .inner_join(users::table)
        .filter(two_factor::organization_id.eq(tenant.organization_id()))
        .filter(two_factor::user_id.eq(user_id))
        .select((two_factor::secret, two_factor::confirmed_at, users::email))
        .first::<(String, Option<i64>, String)>(conn)
        .optional()
        .map(|row| {
            row.map(|(secret, confirmed_at, email)| StoredSecret {
                secret,
                confirmed: confirmed_at.is_some(),
                email,
            })
        })
}

/// Accepts time step `step` of the user's codes once: true when it is newer than every
/// step accepted before (so a code, or an older one, is never accepted twice). One
/// conditional write, so two requests with the same code cannot both pass.
pub fn use_step(conn: &mut DbConnection, tenant: &Tenant, user_id: i64, step: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        two_factor::table
            .filter(two_factor::organization_id.eq(tenant.organization_id()))
            .filter(two_factor::user_id.eq(user_id))
            .filter(two_factor::last_used_step.lt(step)),
    )
    .set(two_factor::last_used_step.eq(step))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Uses up the user's recovery code with this hash: true when it was there, unused.
pub fn use_recovery_code(conn: &mut DbConnection, user_id: i64, code_hash: &str, now: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(code_hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The secret of the user's enrolment in progress: theirs if they started one, else
/// `fresh`, stored unconfirmed. None when two-factor sign-in is already on.
pub fn start_enrolment(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user_id: i64,
    fresh: &str,
    now: i64,
) -> QueryResult<Option<StoredSecret>> {
    with_backend!(conn, |c| diesel::insert_into(two_factor::table)
        .values((
            two_factor::user_id.eq(user_id),
            two_factor::organization_id.eq(tenant.organization_id()),
            two_factor::secret.eq(fresh),
            two_factor::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(find_secret(conn, tenant, user_id)?.filter(|s| !s.confirmed))
}

/// Turns two-factor sign-in on with the secret being enrolled and these recovery
/// codes' hashes (replacing any): false when it was not being enrolled.
pub fn confirm(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user_id: i64,
    hashes: &[String],
    now: i64,
) -> QueryResult<bool> {
    let confirmed = diesel::update(
        two_factor::table
            .filter(two_factor::organization_id.eq(tenant.organization_id()))
            .filter(two_factor::user_id.eq(user_id))
            .filter(two_factor::confirmed_at.is_null()),
    )
    .set(two_factor::confirmed_at.eq(Some(now)))
    .execute(conn)?;
    if confirmed != 1 {
        return Ok(false);
    }
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((recovery_codes::user_id.eq(user_id), recovery_codes::code_hash.eq(hash)))
            .execute(conn)?;
    }
    Ok(true)
}

/// Recovery codes the user has left.
pub fn unused_recovery_codes(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Turns the user's two-factor sign-in off (or forgets an enrolment in progress), with
/// their recovery codes: whether it was on.
pub fn remove(conn: &mut DbConnection, tenant: &Tenant, user_id: i64) -> QueryResult<bool> {
    let was_on = find_secret(conn, tenant, user_id)?.is_some_and(|s| s.confirmed);
    diesel::delete(
        two_factor::table
            .filter(two_factor::organization_id.eq(tenant.organization_id()))
            .filter(two_factor::user_id.eq(user_id)),
    )
    .execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
    Ok(was_on)
}

/// The organisation of a user, whoever they are (the command line names users by id).
pub fn organization_of_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<Tenant>> {
    users::table
        .filter(users::id.eq(user_id))
        .select(users::organization_id)
        .first::<i64>(conn)
        .optional()
        .map(|org| org.map(Tenant::authenticated))
}

/// Whether the organisation requires two-factor sign-in of owners and finance.
pub fn policy(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<bool> {
    organizations::table
        .filter(organizations::id.eq(tenant.organization_id()))
        .select(organizations::two_factor_required)
        .first(conn)
}

pub fn set_policy(conn: &mut DbConnection, tenant: &Tenant, required: bool) -> QueryResult<()> {
    diesel::update(organizations::table.filter(organizations::id.eq(tenant.organization_id())))
        .set(organizations::two_factor_required.eq(required))
        .execute(conn)?;
    Ok(())
}

/// The users of the organisation with two-factor sign-in on.
pub fn users_with_two_factor(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<Vec<i64>> {
    two_factor::table
        .filter(two_factor::organization_id.eq(tenant.organization_id()))
        .filter(two_factor::confirmed_at.is_not_null())
        .select(two_factor::user_id)
        .load(conn)
}
