//! When sessions end: a signed-in user's live streams close when their session is
//! signed out (on any instance: the bus carries `SessionChanged` on the user's channel)
//! or runs out (absolute or idle), and when the user's role or events change, so that
//! no stream keeps showing what the new rights refuse (the browser reconnects and is
//! asked again). A periodic job deletes ended sessions and sign-in attempts the
//! throttle no longer needs.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use super::{attempts, queries, throttle, AuthError, CurrentUser, EventScope, Role};
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::live::{frame, render_with, Channel, Frame, Hub, Render, Ticker};

const SESSION_STATE: &str = "session-state";
const ENDED: &str = "ended";

/// Watches sessions for the live streams opened in them (a `web::Data` of its own).
#[derive(Clone)]
pub struct SessionWatch {
    hub: Hub,
    pool: Pool,
    idle_ms: i64,
    check_every: Duration,
}

impl SessionWatch {
    pub fn new(hub: Hub, pool: Pool, settings: &Settings) -> Self {
        Self {
            hub,
            pool,
            idle_ms: settings.session_idle_ms(),
            check_every: settings.session_check_every,
        }
    }

    /// Resolves when `user`'s session has ended or no longer grants the rights it had
    /// when the stream opened; a live stream runs until then.
    pub fn ended(&self, user: &CurrentUser) -> impl Future<Output = ()> + 'static {
        let (pool, idle_ms, session_id) = (self.pool.clone(), self.idle_ms, user.session_id);
        let opened_with = rights(user.role, user.events());
        // One view per session on the user's channel: the hub reads the session again
        // once per sign-out or change of this user, and every `check_every` (a change on
        // an instance whose bus this one does not hear), for all of its streams.
        let notices = self.hub.subscribe_with_clock(
            Channel::sessions(&user.tenant(), user.user_id),
            &format!("session-{session_id}"),
            session_state(pool.clone(), session_id, idle_ms),
            Some(self.check_every),
        );
        async move {
            let mut notices = notices;
            let live = frame(SESSION_STATE, opened_with.clone());
            loop {
                let wait = match session_access(&pool, session_id, idle_ms).await {
                    Ok(Some((deadline, now_with))) if now_with == opened_with => deadline - db::now_ms(),
                    // Gone, changed, or unreadable: end the stream; a reconnect asks again.
                    _ => return,
                };
                if wait <= 0 {
                    return;
                }
                tokio::select! {
                    () = changed_from(&mut notices, &live) => return,
                    () = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())) => {}
                }
            }
        }
    }
}

/// The rights a stream is opened under, as text: the role and the events it sees.
fn rights(role: Role, events: &EventScope) -> String {
    match events.assigned() {
        None => role.as_str().to_owned(),
        Some(events) => {
            let mut events = events.to_vec();
            events.sort_unstable();
            format!("{} {events:?}", role.as_str())
        }
    }
}

/// The session's state as its view: its rights while it lasts, `ended` once it is gone
/// or run out.
fn session_state(pool: Pool, session_id: i64, idle_ms: i64) -> Render {
    render_with(pool, move |pool| async move {
        let state = match session_access(&pool, session_id, idle_ms).await? {
            Some((deadline, rights)) if deadline > db::now_ms() => rights,
            _ => ENDED.to_owned(),
        };
        Ok(frame(SESSION_STATE, state))
    })
}

/// When the session runs out and the rights it grants (None: it is gone).
async fn session_access(pool: &Pool, session_id: i64, idle_ms: i64) -> Result<Option<(i64, String)>, AuthError> {
    db::run_blocking(pool, move |conn| {
        let Some(access) = queries::session_access(conn, session_id, idle_ms)? else {
            return Ok(None);
        };
        let role = Role::parse(&access.role)
            .ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("unknown role {}", access.role)))?;
        Ok(Some((
            access.deadline,
            rights(role, &EventScope::for_role(role, access.events)),
        )))
    })
    .await
}

/// Resolves when the session's view shows anything but `live` (ended, other rights),
/// or the hub is gone.
async fn changed_from(notices: &mut watch::Receiver<Option<Frame>>, live: &Frame) {
    loop {
        if notices.borrow_and_update().as_ref().is_some_and(|state| state != live) {
            return;
        }
        if notices.changed().await.is_err() {
            return;
        }
    }
}

/// Every `every`, deletes sessions past their expiry or idle timeout and sign-in
/// attempts older than the throttle looks (successes: older than they vouch for an
/// address).
pub fn start_purge(pool: Pool, idle_ms: i64, every: Duration) {
    tokio::spawn(async move {
        let mut ticker = Ticker::new(every, None);
        while ticker.next_round().await {
            let purged = db::run_blocking(&pool, move |conn| -> Result<_, AuthError> {
                let now = db::now_ms();
                let sessions = queries::purge_sessions(conn, now, now - idle_ms)?;
                let attempts =
                    attempts::purge_attempts(conn, now - throttle::WINDOW_MS, now - throttle::KNOWN_ADDRESS_MS)?;
                Ok((sessions, attempts))
            })
            .await;
            match purged {
                Ok((0, 0)) => {}
                Ok((sessions, attempts)) => {
                    tracing::info!(sessions, attempts, "purged ended sessions and old sign-in attempts")
                }
                Err(e) => tracing::warn!(error = %e, "purging sessions failed; trying again later"),
            }
        }
    });
}
