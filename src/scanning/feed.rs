//! The scan log as a feed: each new scan's row is rendered once, kept in a bounded
//! per-event buffer and broadcast to every open scan monitor. Rows carry the scan id as
//! their SSE id, so a reconnecting monitor asks for what it missed (`Last-Event-ID`)
//! and gets exactly that from the buffer, or a full redraw when the gap is older.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;

use super::decision::ScanResult;

/// Rows of one event kept for replay.
const BUFFER: usize = 1_000;
/// Rows an open monitor may fall behind before it gets a full redraw instead.
const LAG: usize = 256;

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
}

/// The answer to a (re)connecting monitor.
pub enum Resume {
    /// These rows, oldest first, then the live ones.
    Replay(Vec<Arc<LogLine>>),
    /// The gap is not in the buffer: redraw from the database.
    Redraw,
}

pub struct ScanFeed {
    events: Mutex<HashMap<(i64, i64), EventFeed>>,
    /// The newest scan id when this process started: rows up to it were never buffered.
    start_floor: i64,
}

impl ScanFeed {
    pub fn new(start_floor: i64) -> Self {
        Self {
            events: Mutex::default(),
            start_floor,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), EventFeed>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn feed<'a>(&self, events: &'a mut HashMap<(i64, i64), EventFeed>, key: (i64, i64)) -> &'a mut EventFeed {
        events.entry(key).or_insert_with(|| EventFeed {
            lines: VecDeque::new(),
            floor: self.start_floor,
            sender: broadcast::channel(LAG).0,
        })
    }

    pub fn push(&self, organization_id: i64, event_id: i64, lines: Vec<LogLine>) {
        let mut events = self.lock();
        let feed = self.feed(&mut events, (organization_id, event_id));
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
        let mut events = self.lock();
        let feed = self.feed(&mut events, (organization_id, event_id));
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
