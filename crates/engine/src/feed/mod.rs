//! The scan log as a feed: each new scan's row is rendered once, kept in a bounded
//! per-event log and broadcast to every open scan monitor. Rows carry their position as
//! SSE id, so a reconnecting monitor asks for what it missed (`Last-Event-ID`) and gets
//! exactly that, or a full redraw when the gap is older than the log reaches.
//!
//! In one process the log is a buffer here and a row's position is its scan id. Scaled
//! out, the log is a capped Redis Stream per event (`{p}:scanlog:{org}:{event}`, about
//! `BUFFER` rows): the instance that recorded a scan appends its row, and a reader task
//! on every instance follows the streams of the events it has monitors for (one
//! `XREAD BLOCK` on a connection of its own) and hands their rows to its monitors; a
//! row's position is its stream entry id, so rows of every instance are in one order.
//! While Redis is down rows cannot be shared: `resyncs` ticks, and monitors redraw
//! from the database instead.

mod reader;
pub(crate) mod rows;
mod shared;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch, Notify};

use crate::live::Bus;
use crate::model::ScanResult;
use crate::redis_link::RedisLink;

/// An event nobody watches and nobody scanned at for this long is dropped from memory
/// (a server running for days never holds the buffers of past events).
const IDLE: Duration = Duration::from_secs(15 * 60);
/// Rows of one event kept for replay.
const BUFFER: usize = 1_000;
/// Rows an open monitor may fall behind before it gets a full redraw instead.
const LAG: usize = 256;

/// Where a row stands in its event's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Position {
    /// In one process: the scan id.
    Scan(i64),
    /// Scaled out: the Redis stream entry id (milliseconds, sequence).
    Entry(u64, u64),
}

impl Position {
    /// A `Last-Event-ID` as the stream sent it.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        match raw.split_once('-') {
            Some((ms, seq)) => Some(Self::Entry(ms.parse().ok()?, seq.parse().ok()?)),
            None => raw.parse().ok().map(Self::Scan),
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Scan(id) => write!(f, "{id}"),
            Self::Entry(ms, seq) => write!(f, "{ms}-{seq}"),
        }
    }
}

/// One rendered scan-log row.
#[derive(Debug, Clone)]
pub struct LogLine {
    pub position: Position,
    pub scan_id: i64,
    pub gate_id: i64,
    pub device_id: i64,
    pub result: ScanResult,
    /// Rendered once; every monitor sends these same bytes.
    pub html: bytestring::ByteString,
}

/// What a monitor wants to see of the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub gate_id: Option<i64>,
    pub device_id: Option<i64>,
    pub result: Option<ScanResult>,
}

impl LogFilter {
    pub fn admits(&self, line: &LogLine) -> bool {
        self.gate_id.is_none_or(|g| g == line.gate_id)
            && self.device_id.is_none_or(|d| d == line.device_id)
            && self.result.is_none_or(|r| r == line.result)
    }
}

struct EventFeed {
    lines: VecDeque<Arc<LogLine>>,
    /// Every row of this event after this position is in `lines` (in one process).
    floor: i64,
    sender: broadcast::Sender<Arc<LogLine>>,
    /// Scaled out: the stream entry the reader continues after.
    cursor: Option<String>,
    last_push: Instant,
}

/// The answer to a (re)connecting monitor.
pub enum Resume {
    /// These rows, oldest first, then the live ones.
    Replay(Vec<Arc<LogLine>>),
    /// The gap is not in the log: redraw from the database.
    Redraw,
}

pub struct ScanFeed {
    events: Mutex<HashMap<(i64, i64), EventFeed>>,
    /// Rows up to this scan id may be missing from a new event's buffer: the newest scan
    /// when the process started, or of any event dropped since.
    floor_of_new: AtomicI64,
    idle: Duration,
    last_sweep: Mutex<Instant>,
    shared: Option<Arc<RedisLink>>,
    /// Scaled out: the bus to the other instances, told when rows were not shared.
    peers: Option<Arc<dyn Bus>>,
    /// Wakes the stream reader when an event gets its first monitor.
    watch_changed: Notify,
    /// Ticks when shared rows may have been missed: monitors redraw.
    resyncs: watch::Sender<u64>,
}

impl ScanFeed {
    /// The feed of one process; `start_floor`: the newest scan id at start-up.
    pub fn new(start_floor: i64) -> Self {
        Self::evicting_after(start_floor, IDLE)
    }

    fn evicting_after(start_floor: i64, idle: Duration) -> Self {
        Self {
            events: Mutex::default(),
            floor_of_new: AtomicI64::new(start_floor),
            idle,
            last_sweep: Mutex::new(Instant::now()),
            shared: None,
            peers: None,
            watch_changed: Notify::new(),
            resyncs: watch::channel(0).0,
        }
    }

    pub fn resyncs(&self) -> watch::Receiver<u64> {
        self.resyncs.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), EventFeed>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn feed<'a>(&self, events: &'a mut HashMap<(i64, i64), EventFeed>, key: (i64, i64)) -> &'a mut EventFeed {
        events.entry(key).or_insert_with(|| EventFeed {
            lines: VecDeque::new(),
            floor: self.floor_of_new.load(Ordering::Acquire),
            sender: broadcast::channel(LAG).0,
            cursor: None,
            last_push: Instant::now(),
        })
    }

    /// How many events are held in memory.
    pub fn events_held(&self) -> usize {
        self.lock().len()
    }

    /// Ends every open stream of the event and forgets its rows, so monitors reconnect
    /// and redraw from the database: for rows that could not be rendered.
    pub fn forget(&self, organization_id: i64, event_id: i64, newest_scan_id: i64) {
        self.lock().remove(&(organization_id, event_id));
        self.floor_of_new.fetch_max(newest_scan_id, Ordering::AcqRel);
    }

    /// Drops, about once a minute, the events nobody watches that went quiet.
    fn sweep(&self, events: &mut HashMap<(i64, i64), EventFeed>) {
        {
            let mut last = self.last_sweep.lock().unwrap_or_else(PoisonError::into_inner);
            if last.elapsed() < self.idle.min(Duration::from_secs(60)) {
                return;
            }
            *last = Instant::now();
        }
        let idle = self.idle;
        events.retain(|_, feed| {
            let keep = feed.sender.receiver_count() > 0 || feed.last_push.elapsed() < idle;
            if !keep {
                let newest = feed.lines.back().map_or(feed.floor, |l| l.scan_id);
                self.floor_of_new.fetch_max(newest, Ordering::AcqRel);
            }
            keep
        });
    }

    /// New rows of an event, as the recording instance rendered them.
    pub async fn push(&self, organization_id: i64, event_id: i64, lines: Vec<LogLine>) {
        let key = (organization_id, event_id);
        let Some(link) = &self.shared else {
            let lines = lines.into_iter().map(|line| LogLine {
                position: Position::Scan(line.scan_id),
                ..line
            });
            return self.deliver(key, lines, None);
        };
        self.push_shared(link, key, &lines).await;
    }

    fn deliver(&self, key: (i64, i64), lines: impl Iterator<Item = LogLine>, cursor: Option<String>) {
        let mut events = self.lock();
        self.sweep(&mut events);
        let feed = self.feed(&mut events, key);
        feed.last_push = Instant::now();
        for line in lines {
            let line = Arc::new(line);
            if self.shared.is_none() {
                feed.lines.push_back(line.clone());
                if feed.lines.len() > BUFFER {
                    if let Some(evicted) = feed.lines.pop_front() {
                        feed.floor = evicted.scan_id;
                    }
                }
            }
            let _ = feed.sender.send(line);
        }
        if cursor.is_some() {
            feed.cursor = cursor;
        }
    }

    /// Subscribes to new rows, and says how to catch up from `last_seen` (the client's
    /// `Last-Event-ID`; None for a first visit, which redraws).
    pub async fn subscribe(
        &self,
        organization_id: i64,
        event_id: i64,
        last_seen: Option<Position>,
    ) -> (Resume, broadcast::Receiver<Arc<LogLine>>) {
        let key = (organization_id, event_id);
        let Some(link) = &self.shared else {
            let mut events = self.lock();
            let feed = self.feed(&mut events, key);
            let resume = match last_seen {
                Some(Position::Scan(seen)) if seen >= feed.floor => Resume::Replay(
                    feed.lines
                        .iter()
                        .filter(|l| l.position > Position::Scan(seen))
                        .cloned()
                        .collect(),
                ),
                _ => Resume::Redraw,
            };
            return (resume, feed.sender.subscribe());
        };
        self.subscribe_shared(link, key, last_seen).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(scan_id: i64) -> LogLine {
        LogLine {
            position: Position::Scan(scan_id),
            scan_id,
            gate_id: 1,
            device_id: 1,
            result: ScanResult::Valid,
            html: "<tr></tr>".into(),
        }
    }

    #[tokio::test]
    async fn events_nobody_watches_are_dropped_when_quiet_and_redraw_afterwards() {
        let feed = ScanFeed::evicting_after(0, Duration::from_millis(20));
        feed.push(1, 10, vec![line(1), line(2)]).await;
        let (_, watching) = feed.subscribe(1, 11, None).await;
        feed.push(1, 11, vec![line(3)]).await;
        std::thread::sleep(Duration::from_millis(40));
        feed.push(1, 12, vec![line(4)]).await;
        assert_eq!(feed.events_held(), 2, "event 10 went quiet unwatched; 11 is watched");
        let (resume, _) = feed.subscribe(1, 10, Some(Position::Scan(1))).await;
        assert!(matches!(resume, Resume::Redraw), "its rows are gone: redraw");
        let (resume, _) = feed.subscribe(1, 11, Some(Position::Scan(2))).await;
        assert!(matches!(resume, Resume::Replay(rows) if rows.len() == 1));
        drop(watching);
    }
}
