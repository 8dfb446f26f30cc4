//! The scan log shared through Redis when scaled out: each event's rows in a capped
//! stream, appended by the instance that recorded the scans, followed by one reader
//! task per instance for the events it has monitors for, and a redraw tick while Redis
//! is down.

use std::sync::Arc;

use redis::streams::{StreamId, StreamRangeReply};
use tokio::sync::{broadcast, watch};

use super::{LogLine, Position, Resume, ScanFeed, BUFFER};
use crate::live::Bus;
use crate::redis_link::RedisLink;

/// Rows appended in one pipeline.
const PUSH_CHUNK: usize = 50;

impl ScanFeed {
    /// The feed shared through Redis streams; starts the reader. `peers`: the bus to
    /// the other instances, whose resyncs redraw this instance's monitors too.
    pub fn shared(link: Arc<RedisLink>, peers: Arc<dyn Bus>) -> Arc<Self> {
        let peer_resyncs = peers.resyncs();
        let feed = Arc::new(Self {
            shared: Some(link),
            peers: Some(peers),
            ..Self::new(0)
        });
        tokio::spawn(Arc::clone(&feed).read_streams());
        tokio::spawn(Arc::clone(&feed).resync_while_down());
        tokio::spawn(Arc::clone(&feed).resync_with_peers(peer_resyncs));
        feed
    }

    /// Another instance lost rows it should have shared, or this one's pub/sub
    /// reconnected: monitors redraw from the database.
    async fn resync_with_peers(self: Arc<Self>, mut peer_resyncs: watch::Receiver<u64>) {
        while peer_resyncs.changed().await.is_ok() {
            self.resyncs.send_modify(|n| *n += 1);
        }
    }

    pub(super) fn stream_key(link: &RedisLink, (organization_id, event_id): (i64, i64)) -> String {
        link.key(&format!("scanlog:{organization_id}:{event_id}"))
    }

    /// Shares new rows through the event's stream; when Redis does not take them,
    /// monitors redraw.
    pub(super) async fn push_shared(&self, link: &RedisLink, key: (i64, i64), lines: &[LogLine]) {
        let stream = Self::stream_key(link, key);
        // A few dozen rows per pipeline: a 500-row batch of HTML in one call could
        // outlast the response timeout on a loaded machine and open the breaker.
        for rows in lines.chunks(PUSH_CHUNK) {
            if !self.share(link, &stream, rows).await {
                self.resyncs.send_modify(|n| *n += 1);
                // The other instances' monitors never see these rows either.
                if let Some(peers) = &self.peers {
                    peers.owe_resync();
                }
                return;
            }
        }
    }

    /// Appends rows to the event's stream; false when Redis did not take them.
    async fn share(&self, link: &RedisLink, stream: &str, lines: &[LogLine]) -> bool {
        let mut pipe = redis::pipe();
        for line in lines {
            pipe.cmd("XADD")
                .arg(stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(BUFFER)
                .arg("*")
                .arg("scan")
                .arg(line.scan_id)
                .arg("gate")
                .arg(line.gate_id)
                .arg("device")
                .arg(line.device_id)
                .arg("result")
                .arg(line.result.as_str())
                .arg("html")
                .arg(&*line.html)
                .ignore();
        }
        // Unshared rows are not lost to monitors: they redraw from the database.
        match link
            .run(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
            .await
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "scan-log rows not shared");
                false
            }
        }
    }

    /// Subscribes to an event's shared rows, and catches up from the stream.
    pub(super) async fn subscribe_shared(
        &self,
        link: &RedisLink,
        key: (i64, i64),
        last_seen: Option<Position>,
    ) -> (Resume, broadcast::Receiver<Arc<LogLine>>) {
        let receiver = self.feed(&mut self.lock(), key).sender.subscribe();
        match self.catch_up(link, key, last_seen).await {
            Ok((resume, newest)) => {
                let mut events = self.lock();
                let feed = self.feed(&mut events, key);
                // The reader goes on right after what this monitor has been given.
                if feed.cursor.is_none() {
                    feed.cursor = Some(newest);
                    drop(events);
                    self.watch_changed.notify_one();
                }
                (resume, receiver)
            }
            Err(e) => {
                tracing::debug!(error = %e, "scan log not readable from Redis; redrawing");
                (Resume::Redraw, receiver)
            }
        }
    }

    /// The rows after `last_seen` from the stream (or a redraw when it does not reach
    /// back that far), and the newest entry id.
    async fn catch_up(
        &self,
        link: &RedisLink,
        key: (i64, i64),
        last_seen: Option<Position>,
    ) -> Result<(Resume, String), crate::redis_link::RedisError> {
        let stream = Self::stream_key(link, key);
        let (oldest, newest): (StreamRangeReply, StreamRangeReply) = {
            let stream = stream.clone();
            link.run(|mut conn| async move {
                redis::pipe()
                    .cmd("XRANGE")
                    .arg(&stream)
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(1)
                    .cmd("XREVRANGE")
                    .arg(&stream)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut conn)
                    .await
            })
            .await?
        };
        let newest_entry = newest_id(&newest);
        let newest_position = Position::parse(&newest_entry);
        let oldest_position = oldest.ids.first().and_then(|entry| Position::parse(&entry.id));
        let reaches =
            |seen: Position| oldest_position.is_some_and(|oldest| oldest <= seen) && Some(seen) <= newest_position;
        let resume = match last_seen {
            Some(seen @ Position::Entry(..)) if reaches(seen) => {
                let rows: StreamRangeReply = link
                    .run(|mut conn| async move {
                        redis::cmd("XRANGE")
                            .arg(&stream)
                            .arg(format!("({seen}"))
                            .arg(&newest_entry)
                            .query_async(&mut conn)
                            .await
                    })
                    .await?;
                Resume::Replay(rows.ids.iter().filter_map(line_of).map(Arc::new).collect())
            }
            _ => Resume::Redraw,
        };
        Ok((resume, newest_id(&newest)))
    }

    /// The newest entry id of an event's stream ("0-0" when empty).
    pub(super) async fn newest_entry(link: &RedisLink, stream: String) -> Option<String> {
        let newest: StreamRangeReply = link
            .run(|mut conn| async move {
                redis::cmd("XREVRANGE")
                    .arg(stream)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut conn)
                    .await
            })
            .await
            .ok()?;
        Some(newest_id(&newest))
    }

    /// Scaled out, the newest row's position in the event's log, read before a redraw
    /// from the database: rows after it arrive live. None in one process or while Redis
    /// is down (then the newest scan id stands in).
    pub async fn newest(&self, organization_id: i64, event_id: i64) -> Option<Position> {
        let link = self.shared.as_ref()?;
        let newest = Self::newest_entry(link, Self::stream_key(link, (organization_id, event_id))).await?;
        Position::parse(&newest)
    }
}

/// The id of the one entry a `COUNT 1` reverse range read ("0-0" when the stream is empty).
fn newest_id(reply: &StreamRangeReply) -> String {
    reply.ids.first().map_or("0-0".to_owned(), |entry| entry.id.clone())
}

/// A stream entry as a log row.
pub(super) fn line_of(entry: &StreamId) -> Option<LogLine> {
    let html: String = entry.get("html")?;
    let result: String = entry.get("result")?;
    Some(LogLine {
        position: Position::parse(&entry.id)?,
        scan_id: entry.get("scan")?,
        gate_id: entry.get("gate")?,
        device_id: entry.get("device")?,
        result: result.parse().ok()?,
        html: html.into(),
    })
}
