//! Users, sessions and sign-in failures. Sign-in looks users up by email before any
//! tenant is known; everything after it is scoped by the session's organisation.

use diesel::prelude::*;

use crate::db::schema::{login_failures, organizations, sessions, users};
use crate::db::DbConnection;

pub struct Credentials {
    pub user_id: i64,
    pub password_hash: String,
}

/// The signed-in user as a session row proves them.
pub struct SessionUser {
    pub user_id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub name: String,
    pub role: String,
    pub csrf_token: String,
}

pub fn find_credentials(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Credentials>> {
    users::table
        .filter(users::email.eq(email))
        .select((users::id, users::password_hash))
        .first::<(i64, String)>(conn)
        .optional()
        .map(|row| row.map(|(user_id, password_hash)| Credentials { user_id, password_hash }))
}

pub fn create_session(
    conn: &mut DbConnection,
    user_id: i64,
    token_hash: &str,
    csrf_token: &str,
    now: i64,
    expires_at: i64,
) -> QueryResult<()> {
    // Sign-in is also the moment to clear this user's expired sessions.
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::expires_at.le(now)),
    )
    .execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(csrf_token),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_session(conn: &mut DbConnection, token_hash: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)?;
    Ok(())
}

pub fn find_session_user(conn: &mut DbConnection, token_hash: &str, now: i64) -> QueryResult<Option<SessionUser>> {
    sessions::table
        .inner_join(users::table.inner_join(organizations::table))
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .select((
            users::id,
            users::organization_id,
            organizations::name,
            users::name,
            users::role,
            sessions::csrf_token,
        ))
        .first::<(i64, i64, String, String, String, String)>(conn)
        .optional()
        .map(|row| {
            row.map(
                |(user_id, organization_id, organization_name, name, role, csrf_token)| SessionUser {
                    user_id,
                    organization_id,
                    organization_name,
                    name,
                    role,
                    csrf_token,
                },
            )
        })
}

pub fn count_failures_since(conn: &mut DbConnection, email: &str, since: i64) -> QueryResult<i64> {
    login_failures::table
        .filter(login_failures::email.eq(email))
        .filter(login_failures::failed_at.gt(since))
        .count()
        .get_result(conn)
}

pub fn record_failure(conn: &mut DbConnection, email: &str, now: i64) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::email.eq(email), login_failures::failed_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

pub fn clear_failures(conn: &mut DbConnection, email: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::email.eq(email))).execute(conn)?;
    Ok(())
}
