//! Opening and ending sessions from the sign-in screen, each with its audit entry;
//! an ended session's live streams are told through the bus, on every instance.

use crate::audit::{self, Action, Entry, Subject};
use crate::auth::queries::{self, Credentials};
use crate::auth::{random_token, CurrentUser};
use crate::db::{self, Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::live::{Bus, Channel, Update, UpdateKind};

/// A fresh session for `user`, replacing the one this browser had (`previous`, a
/// token hash): a session id planted before sign-in is worthless. The token to send.
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
    let details = format!("from {address}");
    with_db(pool, move |conn| {
        db::write_transaction(conn, |conn| {
            if let Some(previous) = previous {
                queries::delete_session(conn, &previous)?;
            }
            let now = db::now_ms();
            queries::create_session(conn, user_id, &hash, &random_token(), now, now.saturating_add(ttl_ms))?;
            audit_user(conn, &tenant, Action::SignIn, user_id, &details)
        })?;
        Ok(())
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
