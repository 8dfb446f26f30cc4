//! Opening and ending sessions from the sign-in screen, each with its audit entry;
//! an ended session's live streams are told through the bus, on every instance.

use crate::audit::{self, Action, Entry, Subject};
use crate::auth::queries::{self, Credentials};
use crate::auth::two_factor::{self, PendingSignIn, PENDING_MS};
use crate::auth::{random_token, CurrentUser};
use crate::db::{self, Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::live::{Bus, Channel, Update, UpdateKind};

/// A fresh session for `user`, replacing the one this browser had (`previous`, a
/// token hash): a session id planted before sign-in is worthless. The token to send.
/// A user with two-factor sign-in gets a session that waits for the code (for
/// `PENDING_MS`), which only the code step accepts; the sign-in is audited after it.
pub async fn open(
    pool: &Pool,
    user: &Credentials,
    previous: Option<String>,
    ttl_ms: i64,
    address: &str,
) -> Result<String, AppError> {
    let token = random_token();
    let hash = crate::auth::token_hash(&token);
    let (user_id, tenant) = (user.user_id, Tenant::authenticated(user.organization_id));
    let (awaiting_code, details) = (user.two_factor_on, format!("from {address}"));
    with_db(pool, move |conn| {
        db::write_transaction(conn, |conn| {
            if let Some(previous) = previous {
                queries::delete_session(conn, &previous)?;
            }
            // A session waiting for its code lasts only as long as the code step may.
            let lasts = if awaiting_code { ttl_ms.min(PENDING_MS) } else { ttl_ms };
            start_session(conn, user_id, &hash, lasts, awaiting_code)?;
            match awaiting_code {
                // Audited as a sign-in once the code is given.
                true => Ok(()),
                false => audit_user(conn, &tenant, Action::SignIn, user_id, &details),
            }
        })?;
        Ok(())
    })
    .await?;
    Ok(token)
}

/// The code was right: the waiting session ends and a full one starts, under a new
/// token, audited as the sign-in (`details` say from where and with what).
pub async fn promote(pool: &Pool, pending: &PendingSignIn, ttl_ms: i64, details: String) -> Result<String, AppError> {
    let token = random_token();
    let hash = crate::auth::token_hash(&token);
    let (session_id, user_id, tenant) = (pending.session_id, pending.user_id, pending.tenant());
    with_db(pool, move |conn| {
        db::write_transaction(conn, |conn| {
            // Gone meanwhile (signed in again elsewhere in this browser): not promoted.
            if two_factor::queries::delete_session_by_id(conn, session_id)? != 1 {
                return Err(diesel::result::Error::NotFound);
            }
            start_session(conn, user_id, &hash, ttl_ms, false)?;
            audit_user(conn, &tenant, Action::SignIn, user_id, &details)
        })
        .map_err(|e| match e {
            diesel::result::Error::NotFound => AppError::Unauthorized,
            other => other.into(),
        })
    })
    .await?;
    Ok(token)
}

/// Ends the session whose token hashes to `token_hash`, then its live streams.
pub async fn end(pool: &Pool, bus: &dyn Bus, user: &CurrentUser, token_hash: String) -> Result<(), AppError> {
    let (tenant, user_id) = (user.tenant(), user.user_id);
    with_db(pool, move |conn| {
        db::write_transaction(conn, |conn| {
            queries::delete_session(conn, &token_hash)?;
            audit_user(conn, &tenant, Action::SignOut, user_id, "this session")
        })?;
        Ok(())
    })
    .await?;
    announce_session_end(bus, user);
    Ok(())
}

/// "Sign out everywhere": every session of the user ends, with its live streams, on
/// every instance.
pub async fn end_everywhere(pool: &Pool, bus: &dyn Bus, user: &CurrentUser) -> Result<(), AppError> {
    let (tenant, user_id) = (user.tenant(), user.user_id);
    with_db(pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let ended = queries::delete_user_sessions(conn, user_id)?;
            let details = format!("{ended} sessions");
            audit_user(conn, &tenant, Action::SignOutEverywhere, user_id, &details)
        })?;
        Ok(())
    })
    .await?;
    announce_session_end(bus, user);
    Ok(())
}

/// Tells the user's open streams (on every instance, through the bus) to check whether
/// their session still exists.
fn announce_session_end(bus: &dyn Bus, user: &CurrentUser) {
    bus.publish(Update {
        channel: Channel::sessions(&user.tenant(), user.user_id),
        kind: UpdateKind::SessionChanged,
    });
}

pub fn audit_user(
    conn: &mut db::DbConnection,
    tenant: &Tenant,
    action: Action,
    user_id: i64,
    details: &str,
) -> diesel::QueryResult<()> {
    let entry = Entry {
        action,
        user_id: Some(user_id),
        subject: Subject::User(user_id),
        details,
    };
    audit::record(conn, tenant, &entry, db::now_ms())
}

/// Stores a session of `user_id` under the token's hash, from now for `lasts_ms`.
fn start_session(
    conn: &mut crate::db::DbConnection,
    user_id: i64,
    hash: &str,
    lasts_ms: i64,
    awaiting_code: bool,
) -> diesel::QueryResult<()> {
    let now = db::now_ms();
    let session = queries::NewSession {
        user_id,
        token_hash: hash,
        csrf_token: &random_token(),
        now,
        expires_at: now.saturating_add(lasts_ms),
        awaiting_code,
    };
    queries::create_session(conn, &session)
}
