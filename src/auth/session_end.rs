//! When sessions end: a signed-in user's live streams close when their session is
//! signed out (on any instance: the bus carries `SessionEnded` on the user's channel)
//! or runs out (absolute or idle); and a periodic job deletes ended sessions and
//! sign-in attempts the throttle no longer needs.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use super::{queries, throttle, AuthError, CurrentUser};
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::live::{frame, render_with, Channel, Frame, Hub, Render};

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

    /// Resolves when `user`'s session has ended; a live stream runs until then.
    pub fn ended(&self, user: &CurrentUser) -> impl Future<Output = ()> + 'static {
        let (pool, idle_ms, session_id) = (self.pool.clone(), self.idle_ms, user.session_id);
        // One view per session on the user's channel: the hub reads the session again
        // once per sign-out of this user, and every `check_every` (a sign-out on an
        // instance whose bus this one does not hear), for all of its streams.
        let notices = self.hub.subscribe_with_clock(
            Channel::sessions(&user.tenant(), user.user_id),
            &format!("session-{session_id}"),
            session_state(pool.clone(), session_id, idle_ms),
            Some(self.check_every),
        );
        async move {
            let mut notices = notices;
            loop {
                let deadline = session_deadline(&pool, session_id, idle_ms);
                let now = db::now_ms();
                let wait = match deadline.await {
                    Ok(Some(deadline)) if deadline > now => deadline - now,
                    // Gone, run out, or unreadable: end the stream; a reconnect asks again.
                    _ => return,
                };
                tokio::select! {
                    () = signed_out(&mut notices) => return,
                    () = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())) => {}
                }
            }
        }
    }
}

/// The session's state as its view: `ended` once it is gone or run out.
fn session_state(pool: Pool, session_id: i64, idle_ms: i64) -> Render {
    render_with(pool, move |pool| async move {
        let deadline = session_deadline(&pool, session_id, idle_ms).await?;
        let live = deadline.is_some_and(|d| d > db::now_ms());
        Ok(frame(SESSION_STATE, if live { "live" } else { ENDED }))
    })
}

/// When the session runs out (None: it is gone).
async fn session_deadline(pool: &Pool, session_id: i64, idle_ms: i64) -> Result<Option<i64>, AuthError> {
    db::run_blocking(pool, move |conn| {
        Ok(queries::session_deadline(conn, session_id, idle_ms)?)
    })
    .await
}

/// Resolves when the session's view says it ended (or the hub is gone).
async fn signed_out(notices: &mut watch::Receiver<Option<Frame>>) {
    let ended = Some(frame(SESSION_STATE, ENDED));
    while *notices.borrow_and_update() != ended {
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
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let purged = db::run_blocking(&pool, move |conn| -> Result<_, AuthError> {
                let now = db::now_ms();
                let sessions = queries::purge_sessions(conn, now, now - idle_ms)?;
                let attempts =
                    queries::purge_attempts(conn, now - throttle::WINDOW_MS, now - throttle::KNOWN_ADDRESS_MS)?;
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
