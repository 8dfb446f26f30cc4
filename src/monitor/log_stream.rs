//! One monitor's scan log as a stream: catch up (replay what it missed, or redraw from
//! the database), then the new rows that pass its filter, at most four messages a second
//! (rows arriving meanwhile go out together), each with its newest row's position as SSE
//! id; a monitor that falls behind, or misses shared rows, is redrawn.

use std::sync::Arc;

use futures_util::{stream, Stream, StreamExt};
use maud::PreEscaped;
use tokio::sync::broadcast;

use super::{log_messages, views};
use crate::db::{Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::TimeZone;
use crate::live::{frame, Frame};
use crate::scanning::{self, ScanLine};
use crate::scanning::{LogFilter, LogLine, Position, Resume, ScanFeed};

/// How long after a redraw its rows may still arrive through the feed.
const REDRAW_SETTLED: std::time::Duration = std::time::Duration::from_secs(10);

/// Which log a monitor follows, and how it shows it.
pub struct LogScope {
    pub tenant: Tenant,
    pub event_id: i64,
    pub timezone: TimeZone,
    pub filter: LogFilter,
    /// The shortest time between two log messages to one monitor: the live views'
    /// window (`Hub::coalesce`, `--live-window-ms`).
    pub pause: std::time::Duration,
}

/// The log's frames for a monitor that has seen up to `last_seen` (its `Last-Event-ID`).
pub async fn log_frames(
    pool: Pool,
    feed: Arc<ScanFeed>,
    scope: LogScope,
    last_seen: Option<Position>,
) -> Result<impl Stream<Item = Frame>, AppError> {
    let (resume, receiver) = feed
        .subscribe(scope.tenant.organization_id(), scope.event_id, last_seen)
        .await;
    let log = LogStream {
        pool,
        feed,
        tenant: scope.tenant,
        event_id: scope.event_id,
        timezone: scope.timezone,
        filter: scope.filter,
        shown_up_to: last_seen,
        redrawn: Box::default(),
        redrawn_at: tokio::time::Instant::now(),
        next_message_at: tokio::time::Instant::now(),
        pause: scope.pause,
    };
    log.frames(resume, receiver).await
}

/// One monitor's scan log: catch up (replay or redraw), then each new row that passes
/// its filter, each with its scan id as SSE id.
struct LogStream {
    pool: Pool,
    feed: Arc<ScanFeed>,
    tenant: Tenant,
    event_id: i64,
    timezone: TimeZone,
    filter: LogFilter,
    /// Rows up to this position are on the client's screen already.
    shown_up_to: Option<Position>,
    /// Scan ids of the last redraw, sorted: a row shared just after it is not shown
    /// twice. Forgotten once `REDRAW_SETTLED` has passed (such rows come within
    /// moments), so a monitor does not keep a hundred ids for its whole life.
    redrawn: Box<[i64]>,
    redrawn_at: tokio::time::Instant,
    /// Rows arriving before this wait for it, and go out together.
    next_message_at: tokio::time::Instant,
    pause: std::time::Duration,
}

/// What a monitor's next message is made of.
enum Gathered {
    Rows(Vec<Arc<LogLine>>),
    /// Rows were lost to this monitor: it is redrawn.
    Behind,
}

impl LogStream {
    async fn frames(
        mut self,
        resume: Resume,
        receiver: broadcast::Receiver<Arc<LogLine>>,
    ) -> Result<impl Stream<Item = Frame>, AppError> {
        let first = match resume {
            Resume::Replay(lines) => self.rows_frames(&lines),
            Resume::Redraw => self.redraw().await?,
        };
        let resyncs = self.feed.resyncs();
        let live = stream::unfold(
            (self, receiver, resyncs),
            |(mut log, mut receiver, mut resyncs)| async move {
                loop {
                    let next = tokio::select! {
                        line = receiver.recv() => line,
                        // Rows may not have been shared (Redis down): redraw from the database.
                        changed = resyncs.changed() => match changed {
                            Ok(()) => Err(broadcast::error::RecvError::Lagged(0)),
                            Err(_) => std::future::pending().await,
                        },
                    };
                    let gathered = match next {
                        Ok(line) => log.gather(line, &mut receiver).await,
                        Err(broadcast::error::RecvError::Lagged(_)) => Gathered::Behind,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    };
                    let frames = match gathered {
                        Gathered::Rows(rows) => log.rows_frames(&rows),
                        // Fell behind: a full redraw is smaller than the backlog.
                        Gathered::Behind => log.redraw().await.ok()?,
                    };
                    if !frames.is_empty() {
                        return Some((frames, (log, receiver, resyncs)));
                    }
                }
            },
        );
        Ok(stream::iter(first).chain(live.flat_map(stream::iter)))
    }

    /// The rows not shown yet that pass the filter (the newest `LOG_ROWS`), in messages
    /// of at most `MESSAGE_BYTES`: the oldest run first, each run newest first (the log
    /// inserts it on top) with its newest row's position as SSE id, so a reconnect
    /// resumes exactly after the last message that arrived.
    fn rows_frames(&mut self, rows: &[Arc<LogLine>]) -> Vec<Frame> {
        if self.redrawn_at.elapsed() > REDRAW_SETTLED {
            self.redrawn = Box::default();
        }
        let fresh: Vec<&LogLine> = rows.iter().map(|row| &**row).filter(|row| self.is_new(row)).collect();
        let Some(newest) = fresh.last().map(|row| row.position) else {
            return Vec::new();
        };
        self.shown_up_to = Some(newest);
        let kept = &fresh[fresh.len().saturating_sub(views::LOG_ROWS as usize)..];
        log_messages::messages(kept, |row| &row.html)
            .into_iter()
            .map(|(html, newest)| frame(views::LINE_SSE_EVENT, html).with_id(newest.position.to_string()))
            .collect()
    }

    fn is_new(&self, line: &LogLine) -> bool {
        let shown = self.shown_up_to.is_some_and(|shown| line.position <= shown);
        !shown && self.redrawn.binary_search(&line.scan_id).is_err() && self.filter.admits(line)
    }

    /// `first` and the rows that follow it until this monitor's next message is due: a
    /// quiet gate's scan goes out at once, a busy gate's rows at most `pause` apart, in
    /// one message each time (thousands of monitors at 1,000 scans/s otherwise get a
    /// message per scan group each).
    async fn gather(&mut self, first: Arc<LogLine>, receiver: &mut broadcast::Receiver<Arc<LogLine>>) -> Gathered {
        let mut rows = vec![first];
        let due = self.next_message_at.max(tokio::time::Instant::now());
        loop {
            let next = match receiver.try_recv() {
                Ok(line) => Ok(line),
                Err(broadcast::error::TryRecvError::Empty) if tokio::time::Instant::now() >= due => break,
                Err(broadcast::error::TryRecvError::Empty) => match tokio::time::timeout_at(due, receiver.recv()).await
                {
                    Ok(line) => line.map_err(|_| ()),
                    Err(_) => break,
                },
                Err(broadcast::error::TryRecvError::Lagged(_)) => return Gathered::Behind,
                Err(_) => break,
            };
            match next {
                Ok(line) => rows.push(line),
                Err(()) => return Gathered::Behind,
            }
        }
        self.next_message_at = tokio::time::Instant::now() + self.pause;
        Gathered::Rows(rows)
    }

    /// The latest rows from the database, as the page first shows them: the table with
    /// its oldest rows, then the newer ones on top, in messages of at most
    /// `MESSAGE_BYTES`; each carries its newest row's scan id, the last what is shown.
    async fn redraw(&mut self) -> Result<Vec<Frame>, AppError> {
        let (tenant, event_id, filter) = (self.tenant, self.event_id, self.filter);
        // Read first: every row in the log up to it is committed, so in the redraw.
        let newest_in_log = self.feed.newest(tenant.organization_id(), event_id).await;
        let (lines, newest): (Vec<ScanLine>, i64) = with_db(&self.pool, move |conn| {
            let newest = scanning::newest_scan_id(conn)?;
            Ok((
                scanning::latest_scans(conn, &tenant, event_id, &filter, views::LOG_ROWS)?,
                newest,
            ))
        })
        .await?;
        let mut redrawn: Vec<i64> = lines.iter().map(|line| line.id).collect();
        redrawn.sort_unstable();
        (self.redrawn, self.redrawn_at) = (redrawn.into_boxed_slice(), tokio::time::Instant::now());
        // Rows newer than both arrive through the feed; older ones are in `lines`.
        let newest_shown =
            newest_in_log.unwrap_or_else(|| Position::Scan(lines.first().map_or(newest, |line| line.id.max(newest))));
        let shown = self.shown_up_to.map_or(newest_shown, |shown| shown.max(newest_shown));
        self.shown_up_to = Some(shown);
        let oldest_first: Vec<(String, i64)> = lines
            .iter()
            .rev()
            .map(|line| (views::draw_log_row(line, &self.timezone), line.id))
            .collect();
        let mut messages = log_messages::messages(&oldest_first, |(html, _)| html)
            .into_iter()
            .map(|(html, (_, id))| (html, Position::Scan(*id)));
        // The table first, with the oldest rows (or none), then the newer ones on top.
        let (rows, id) = messages.next().unwrap_or((String::new(), shown));
        let table = views::log_table(&PreEscaped(rows), lines.is_empty()).into_string();
        let mut frames = vec![frame(views::LOG_SSE_EVENT, table).with_id(id.to_string())];
        frames.extend(messages.map(|(html, id)| frame(views::LINE_SSE_EVENT, html).with_id(id.to_string())));
        // The last carries what the log has shown: newer rows come through the feed.
        let last = frames.pop().map(|last| last.with_id(shown.to_string()));
        frames.extend(last);
        Ok(frames)
    }
}
