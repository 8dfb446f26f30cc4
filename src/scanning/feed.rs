//! The scan log as a feed: each new scan's row is rendered once, kept in a bounded
//! per-event buffer and broadcast to every open scan monitor. Rows carry the scan id as
//! their SSE id, so a reconnecting monitor asks for what it missed (`Last-Event-ID`)
//! and gets exactly that from the buffer, or a full redraw when the gap is older.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use super::decision::ScanResult;

/// Rows of one event kept for replay.
const BUFFER: usize = 1_000;
/// Rows an open monitor may fall behind before it gets a full redraw instead.
const LAG: usize = 256;
/// An event nobody watches and nobody scanned at for this long is dropped from memory
/// (a server running for days never holds the buffers of past events).
const IDLE: Duration = Duration::from_secs(15 * 60);

/// One rendered scan-log row.
#[derive(Debug)]
pub struct LogLine {
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
    /// Every row of this event with a scan id above this is in `lines`.
    floor: i64,
    sender: broadcast::Sender<Arc<LogLine>>,
    last_push: Instant,
}

struct Feeds {
    events: HashMap<(i64, i64), EventFeed>,
    /// Rows up to this scan id may be missing from a new event's buffer: the newest
    /// scan when the process started, or of any event dropped since.
    floor_of_new: i64,
    last_sweep: Instant,
}

/// The answer to a (re)connecting monitor.
pub enum Resume {
    /// These rows, oldest first, then the live ones.
    Replay(Vec<Arc<LogLine>>),
    /// The gap is not in the buffer: redraw from the database.
    Redraw,
}

pub struct ScanFeed {
    feeds: Mutex<Feeds>,
    idle: Duration,
}

impl ScanFeed {
    /// `start_floor`: the newest scan id when this process started; rows up to it were
    /// never buffered.
    pub fn new(start_floor: i64) -> Self {
        Self::evicting_after(start_floor, IDLE)
    }

    fn evicting_after(start_floor: i64, idle: Duration) -> Self {
        Self {
            feeds: Mutex::new(Feeds {
                events: HashMap::new(),
                floor_of_new: start_floor,
                last_sweep: Instant::now(),
            }),
            idle,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Feeds> {
        self.feeds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many events are held in memory.
    pub fn events_held(&self) -> usize {
        self.lock().events.len()
    }

    /// Ends every open stream of the event and forgets its rows, so monitors reconnect
    /// and redraw from the database: for rows that could not be rendered.
    pub fn forget(&self, organization_id: i64, event_id: i64, newest_scan_id: i64) {
        let mut feeds = self.lock();
        feeds.events.remove(&(organization_id, event_id));
        feeds.floor_of_new = feeds.floor_of_new.max(newest_scan_id);
    }

    pub fn push(&self, organization_id: i64, event_id: i64, lines: Vec<LogLine>) {
        let mut feeds = self.lock();
        feeds.sweep(self.idle);
        let feed = feeds.feed((organization_id, event_id));
        feed.last_push = Instant::now();
        for line in lines {
            let line = Arc::new(line);
            feed.lines.push_back(line.clone());
            if feed.lines.len() > BUFFER {
                if let Some(evicted) = feed.lines.pop_front() {
                    feed.floor = evicted.scan_id;
                }
            }
            let _ = feed.sender.send(line);
        }
    }

    /// Subscribes to new rows, and says how to catch up from `last_seen` (the client's
    /// `Last-Event-ID`; None for a first visit, which redraws).
    pub fn subscribe(
        &self,
        organization_id: i64,
        event_id: i64,
        last_seen: Option<i64>,
    ) -> (Resume, broadcast::Receiver<Arc<LogLine>>) {
        let mut feeds = self.lock();
        let feed = feeds.feed((organization_id, event_id));
        let receiver = feed.sender.subscribe();
        let resume = match last_seen {
            Some(seen) if seen >= feed.floor => {
                Resume::Replay(feed.lines.iter().filter(|l| l.scan_id > seen).cloned().collect())
            }
            _ => Resume::Redraw,
        };
        (resume, receiver)
    }
}

impl Feeds {
    fn feed(&mut self, key: (i64, i64)) -> &mut EventFeed {
        let floor = self.floor_of_new;
        self.events.entry(key).or_insert_with(|| EventFeed {
            lines: VecDeque::new(),
            floor,
            sender: broadcast::channel(LAG).0,
            last_push: Instant::now(),
        })
    }

    /// Drops, about once a minute, the events nobody watches that went quiet.
    fn sweep(&mut self, idle: Duration) {
        if self.last_sweep.elapsed() < idle.min(Duration::from_secs(60)) {
            return;
        }
        self.last_sweep = Instant::now();
        let mut newest_dropped = self.floor_of_new;
        self.events.retain(|_, feed| {
            let keep = feed.sender.receiver_count() > 0 || feed.last_push.elapsed() < idle;
            if !keep {
                newest_dropped = newest_dropped.max(feed.lines.back().map_or(feed.floor, |l| l.scan_id));
            }
            keep
        });
        self.floor_of_new = newest_dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(scan_id: i64) -> LogLine {
        LogLine {
            scan_id,
            gate_id: 1,
            device_id: 1,
            result: ScanResult::Valid,
            html: "<tr></tr>".into(),
        }
    }

    #[test]
    fn events_nobody_watches_are_dropped_when_quiet_and_redraw_afterwards() {
        let feed = ScanFeed::evicting_after(0, Duration::from_millis(20));
        feed.push(1, 10, vec![line(1), line(2)]);
        let (_, watching) = feed.subscribe(1, 11, None);
        feed.push(1, 11, vec![line(3)]);
        std::thread::sleep(Duration::from_millis(40));
        feed.push(1, 12, vec![line(4)]);
        assert_eq!(feed.events_held(), 2, "event 10 went quiet unwatched; 11 is watched");
        let (resume, _) = feed.subscribe(1, 10, Some(1));
        assert!(matches!(resume, Resume::Redraw), "its rows are gone: redraw");
        let (resume, _) = feed.subscribe(1, 11, Some(2));
        assert!(matches!(resume, Resume::Replay(rows) if rows.len() == 1));
        drop(watching);
    }
}
