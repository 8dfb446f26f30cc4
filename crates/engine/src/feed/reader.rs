//! The stream reader of a scaled-out instance: one task that follows the streams of
//! every event with a monitor here (one `XREAD BLOCK` on a connection of its own) and
//! hands their rows to those monitors; and the redraw tick while Redis is down.

use std::sync::Arc;
use std::time::Duration;

use redis::streams::StreamReadReply;

use super::shared::line_of;
use super::{LogLine, ScanFeed, LAG};
use crate::redis_link::{LinkStatus, RedisLink};

/// How long one `XREAD` waits for new rows (a newly watched event joins after it).
const READ_BLOCK_MS: u64 = 200;
/// While Redis is down, monitors redraw from the database this often.
const DEGRADED_REDRAW: Duration = Duration::from_secs(3);

impl ScanFeed {
    /// Follows the streams of every watched event on a connection of its own.
    pub(super) async fn read_streams(self: Arc<Self>) {
        let Some(link) = self.shared.clone() else { return };
        let mut conn = None;
        loop {
            if !link.is_up() {
                conn = None;
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            self.place_cursors(&link).await;
            let watched = self.watched();
            if watched.is_empty() {
                tokio::select! {
                    _ = self.watch_changed.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                continue;
            }
            if conn.is_none() {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(link.connect_timeout()))
                    .set_response_timeout(Some(Duration::from_millis(READ_BLOCK_MS) + link.connect_timeout()));
                conn = link
                    .client()
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map_err(|e| link.failed(e.to_string()))
                    .ok();
            }
            let Some(connection) = conn.as_mut() else {
                continue;
            };
            let mut command = redis::cmd("XREAD");
            command
                .arg("COUNT")
                .arg(LAG)
                .arg("BLOCK")
                .arg(READ_BLOCK_MS)
                .arg("STREAMS");
            for (key, _) in &watched {
                command.arg(Self::stream_key(&link, *key));
            }
            for (_, cursor) in &watched {
                command.arg(cursor);
            }
            match command.query_async::<Option<StreamReadReply>>(connection).await {
                Ok(reply) => self.hand_out(&watched, reply.map(|r| r.keys).unwrap_or_default(), &link),
                Err(e) => {
                    link.failed(e.to_string());
                    conn = None;
                }
            }
        }
    }

    /// Back after an outage, the streams may be empty (a restart) or cut short: every
    /// watched event goes on from its newest entry, placed *before* monitors redraw, so
    /// a row appended after the redraw's read still reaches them through the reader.
    async fn restart_cursors(&self, link: &RedisLink) {
        let watched: Vec<(i64, i64)> = self.lock().keys().copied().collect();
        for key in watched {
            let newest = Self::newest_entry(link, Self::stream_key(link, key)).await;
            if let Some(feed) = self.lock().get_mut(&key) {
                // Unreadable: the reader places it later, and the next drop redraws again.
                feed.cursor = newest;
            }
        }
    }

    /// Watched events without a cursor (after an outage) go on from their newest entry.
    async fn place_cursors(&self, link: &RedisLink) {
        let unplaced: Vec<(i64, i64)> = self
            .lock()
            .iter()
            .filter(|(_, feed)| feed.cursor.is_none() && feed.sender.receiver_count() > 0)
            .map(|(key, _)| *key)
            .collect();
        for key in unplaced {
            if let Some(newest) = Self::newest_entry(link, Self::stream_key(link, key)).await {
                if let Some(feed) = self.lock().get_mut(&key) {
                    feed.cursor.get_or_insert(newest);
                }
            }
        }
    }

    /// Events with a monitor here and where their stream was last read.
    fn watched(&self) -> Vec<((i64, i64), String)> {
        let mut events = self.lock();
        events.retain(|_, feed| feed.sender.receiver_count() > 0);
        events
            .iter()
            .filter_map(|(key, feed)| feed.cursor.clone().map(|cursor| (*key, cursor)))
            .collect()
    }

    fn hand_out(&self, watched: &[((i64, i64), String)], streams: Vec<redis::streams::StreamKey>, link: &RedisLink) {
        for stream in streams {
            let Some((key, _)) = watched
                .iter()
                .find(|(key, _)| Self::stream_key(link, *key) == stream.key)
            else {
                continue;
            };
            let cursor = stream.ids.last().map(|entry| entry.id.clone());
            let lines: Vec<LogLine> = stream.ids.iter().filter_map(line_of).collect();
            self.deliver(*key, lines.into_iter(), cursor);
        }
    }

    /// While Redis is down (and once when it is back), every monitor redraws now and
    /// then: rows recorded meanwhile were never shared.
    pub(super) async fn resync_while_down(self: Arc<Self>) {
        let Some(link) = self.shared.clone() else { return };
        let mut status = link.status();
        loop {
            let down = *status.borrow() != LinkStatus::Up;
            tokio::select! {
                changed = status.changed() => {
                    if changed.is_err() { return }
                    let up = *status.borrow_and_update() == LinkStatus::Up;
                    if up {
                        self.restart_cursors(&link).await;
                    }
                    self.resyncs.send_modify(|n| *n += 1);
                }
                _ = tokio::time::sleep(DEGRADED_REDRAW), if down => self.resyncs.send_modify(|n| *n += 1),
            }
        }
    }
}
