//! The live-status line of live pages: empty while every instance's updates arrive, a
//! plain sentence while they cannot (scaled out, the link to Redis is down).

use crate::redis_link::LinkStatus;

/// The SSE event (and `sse-swap` name) of the live-status line on live pages.
pub const LIVE_STATUS_EVENT: &str = "live-status";

/// Empty while live; a plain sentence while updates from other instances are paused.
pub(super) fn live_status_html(status: LinkStatus) -> String {
    match status {
        LinkStatus::Up => String::new(),
        LinkStatus::Down { since_ms } => {
            let since = chrono::DateTime::from_timestamp_millis(since_ms)
                .map(|t| t.format("%H:%M:%S UTC").to_string())
                .unwrap_or_default();
            maud::html! {
                span.stale { "Live updates paused since " (since) ": the servers lost their shared link. Numbers are read from the database every few seconds." }
            }
            .into_string()
        }
    }
}
