//! Users and sessions (sign-in attempts: `attempts.rs`). Sign-in looks users up by email before any
//! tenant is known; everything after it is scoped by the session's organisation.

use diesel::prelude::*;

use crate::db::schema::{organizations, sessions, two_factor, user_events, users};
use crate::db::DbConnection;

pub struct Credentials {
    pub user_id: i64,
    pub organization_id: i64,
    pub password_hash: String,
    /// A code must follow the password.
    pub two_factor_on: bool,
}

/// The signed-in user as a session row proves them.
pub struct SessionUser {
    pub session_id: i64,
    pub user_id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub name: String,
    pub role: String,
    pub csrf_token: String,
    pub last_seen_at: i64,
    /// The events assigned to the user (supervisors and stewards see only these).
    pub events: Vec<i64>,
    /// The organisation requires two-factor sign-in of owners and finance.
    pub two_factor_required: bool,
    /// The user has confirmed two-factor sign-in.
    pub two_factor_on: bool,
}

pub fn find_credentials(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Credentials>> {
    // A deactivated user has no credentials: signing in fails as a wrong password does.
    users::table
        .left_join(two_factor::table)
        .filter(users::email.eq(email))
        .filter(users::deactivated_at.is_null())
        .select((
            users::id,
            users::organization_id,
            users::password_hash,
            two_factor::confirmed_at.nullable(),
        ))
        .first::<(i64, i64, String, Option<i64>)>(conn)
        .optional()
        .map(|row| {
            row.map(|(user_id, organization_id, password_hash, confirmed_at)| Credentials {
                user_id,
                organization_id,
                password_hash,
                two_factor_on: confirmed_at.is_some(),
            })
        })
}

/// A session to store: whose, its token's hash, its CSRF token, made `now` until
/// `expires_at`, and whether it still waits for a two-factor code.
pub struct NewSession<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub csrf_token: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub awaiting_code: bool,
}

pub fn create_session(conn: &mut DbConnection, session: &NewSession) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(session.token_hash),
            sessions::user_id.eq(session.user_id),
            sessions::csrf_token.eq(session.csrf_token),
            sessions::created_at.eq(session.now),
            sessions::expires_at.eq(session.expires_at),
            sessions::last_seen_at.eq(session.now),
            sessions::awaiting_code.eq(session.awaiting_code),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_session(conn: &mut DbConnection, token_hash: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)?;
    Ok(())
}

/// Ends every session of the user, on every device: how many there were.
pub fn delete_user_sessions(conn: &mut DbConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

/// The session's user, when the session has neither expired nor sat idle since
/// `idle_since`, is not waiting for a two-factor code, and the user is active, with
/// their assigned events and whether they owe two-factor sign-in: one query, a row per
/// assigned event (one row with no event when none is).
pub fn find_session_user(
    conn: &mut DbConnection,
    token_hash: &str,
    now: i64,
    idle_since: i64,
) -> QueryResult<Option<SessionUser>> {
    type Row = (
        i64,
        i64,
        i64,
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        bool,
        Option<i64>,
    );
    let rows: Vec<Row> = sessions::table
        .inner_join(
            users::table
                .inner_join(organizations::table)
                .left_join(user_events::table)
                .left_join(two_factor::table),
        )
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(idle_since))
        .filter(sessions::awaiting_code.eq(false))
        .filter(users::deactivated_at.is_null())
        .select((
            sessions::id,
            users::id,
            users::organization_id,
            organizations::name,
            users::name,
            users::role,
            sessions::csrf_token,
            sessions::last_seen_at,
            user_events::event_id.nullable(),
            organizations::two_factor_required,
            two_factor::confirmed_at.nullable(),
        ))
        .load(conn)?;
    let events = rows.iter().filter_map(|row| row.8).collect();
    Ok(rows.into_iter().next().map(|row| SessionUser {
        session_id: row.0,
        user_id: row.1,
        organization_id: row.2,
        organization_name: row.3,
        name: row.4,
        role: row.5,
        csrf_token: row.6,
        last_seen_at: row.7,
        events,
        two_factor_required: row.9,
        two_factor_on: row.10.is_some(),
    }))
}

/// The session was used now: its idle timeout starts again.
pub fn touch_session(conn: &mut DbConnection, session_id: i64, now: i64) -> QueryResult<()> {
    diesel::update(sessions::table.filter(sessions::id.eq(session_id)))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// What a session still allows: when it ends unless it is used again (the earlier of
/// its absolute expiry and its idle timeout), and its user's role and assigned events.
pub struct SessionAccess {
    pub deadline: i64,
    pub role: String,
    pub events: Vec<i64>,
}

/// The session's access now; None once it is gone or its user is deactivated.
pub fn session_access(conn: &mut DbConnection, session_id: i64, idle_ms: i64) -> QueryResult<Option<SessionAccess>> {
    let rows: Vec<(i64, i64, String, Option<i64>)> = sessions::table
        .inner_join(users::table.left_join(user_events::table))
        .filter(sessions::id.eq(session_id))
        .filter(users::deactivated_at.is_null())
        .select((
            sessions::expires_at,
            sessions::last_seen_at,
            users::role,
            user_events::event_id.nullable(),
        ))
        .load(conn)?;
    let mut events: Vec<i64> = rows.iter().filter_map(|row| row.3).collect();
    events.sort_unstable();
    Ok(rows
        .into_iter()
        .next()
        .map(|(expires_at, last_seen_at, role, _)| SessionAccess {
            deadline: expires_at.min(last_seen_at.saturating_add(idle_ms)),
            role,
            events,
        }))
}

/// Deletes sessions past their expiry or idle since `idle_since`: how many.
pub fn purge_sessions(conn: &mut DbConnection, now: i64, idle_since: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now).or(sessions::last_seen_at.le(idle_since))))
        .execute(conn)
}

/// Whether any user, active or not, in any organisation, has this address (addresses
/// are unique: they are how people sign in).
pub fn email_in_use(conn: &mut DbConnection, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::email.eq(email)))).get_result(conn)
}
