//! What the scale-out tests (direct and through PgBouncer) check and how they name scans.

use std::time::{Duration, Instant};

use voelgoed::db;
use voelgoed::scanning::recount;

use super::sse::{Message, SseReader};
use super::TestApp;

/// The next message named `event` within `wait`, skipping others.
pub async fn next_named(reader: &mut SseReader, event: &str, wait: Duration) -> Option<Message> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let message = reader.next(left).await?;
        if message.event == event {
            return Some(message);
        }
    }
}

/// Waits (up to 10 s) until the app's counters for org A's event equal a recount.
pub async fn counters_equal_a_recount(app: &TestApp) {
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = db::now_ms();
        let live = app
            .services
            .scan_counters
            .event_counts(&tenant, event, now)
            .await
            .unwrap();
        let truth = app
            .db(move |conn| {
                recount(conn, Some((&tenant, event)), now)
                    .unwrap()
                    .get(&(tenant.organization_id(), event))
                    .map(|c| c.snapshot(now))
                    .unwrap_or_default()
            })
            .await;
        if live == truth {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "counters {live:?} differ from the recount {truth:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A scan id unique to a round and a place in it.
pub fn uuid(round: u32, n: u32) -> String {
    format!("00000000-0000-4000-8000-{round:06}{n:06}")
}
