//! Fan-out of live channels to SSE clients.
//!
//! Per channel with at least one client, one task renders the channel's frame once per
//! burst of updates (at most one render per `coalesce` period) and publishes it through
//! a `watch` channel. Every client shares that one rendered frame, and a slow client
//! only ever holds the newest frame, so a phone on 3G cannot grow server memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{broadcast, watch, Notify};

use super::live_status::live_status_html;
use super::{frame, Bus, Channel, Frame, Render};
use crate::redis_link::LinkStatus;

pub use super::live_status::LIVE_STATUS_EVENT;

/// A view of a channel: one channel can feed several differently rendered views (the
/// scan monitor's panel and a kiosk both follow the scans channel).
type ViewKey = (Channel, String);

/// Hears every update before any view is redrawn for it: caches of what views show
/// drop their stale values here, so a redraw never reads them.
pub trait UpdateListener: Send + Sync {
    fn updated(&self, update: &crate::live::Update);
    /// Some updates were lost: everything may have changed.
    fn lagged(&self);
}

#[derive(Clone)]
pub struct Hub {
    channels: Arc<Mutex<HashMap<ViewKey, LiveChannel>>>,
    coalesce: Duration,
    listeners: Arc<[Arc<dyn UpdateListener>]>,
    /// Whether updates from other instances arrive (None: a bus of one process).
    link: Option<watch::Receiver<LinkStatus>>,
    /// Renders done by every view since the start (see `renders`).
    renders: Arc<AtomicU64>,
    /// How often an open stream with nothing to send sends a keep-alive comment.
    keep_alive: Duration,
}

/// While updates from other instances cannot arrive, every view is redrawn (from the
/// database) this often, so no number silently stops moving.
const DEGRADED_REDRAW: Duration = Duration::from_secs(3);

struct LiveChannel {
    frames: watch::Sender<Option<Frame>>,
    changed: Arc<Notify>,
}

impl Hub {
    /// Starts listening to the bus; updates for channels nobody watches are dropped.
    /// `coalesce`: the shortest gap between two redraws of a view; `keep_alive`: how
    /// often its streams send a keep-alive comment when idle.
    pub fn start(
        bus: &dyn Bus,
        coalesce: Duration,
        keep_alive: Duration,
        listeners: Vec<Arc<dyn UpdateListener>>,
    ) -> Self {
        let hub = Self {
            channels: Arc::default(),
            coalesce,
            listeners: listeners.into(),
            link: bus.link_status(),
            renders: Arc::default(),
            keep_alive,
        };
        let updates = bus.subscribe();
        tokio::spawn(hub.clone().route_updates(updates));
        tokio::spawn(hub.clone().resync_on_loss(bus.resyncs()));
        hub
    }

    /// Whether live updates from every instance arrive, as frames for the pages'
    /// `live-status` element: now, then on every change. Nothing without a shared bus.
    pub fn live_status(&self) -> futures_util::stream::BoxStream<'static, Frame> {
        use futures_util::StreamExt;
        match self.link.clone() {
            None => futures_util::stream::empty().boxed(),
            Some(link) => tokio_stream::wrappers::WatchStream::new(link)
                .map(|status| frame(LIVE_STATUS_EVENT, live_status_html(status)))
                .boxed(),
        }
    }

    /// `frames` with the live-status line merged in; ends when `frames` ends.
    pub fn with_live_status(
        &self,
        frames: impl futures_util::Stream<Item = Frame> + 'static,
    ) -> impl futures_util::Stream<Item = Frame> {
        use futures_util::{future::ready, stream, StreamExt};
        let main = frames.map(Some).chain(stream::once(ready(None)));
        stream::select(main, self.live_status().map(Some))
            .take_while(|frame| ready(frame.is_some()))
            .filter_map(ready)
    }

    /// The shortest gap between two redraws of a view: streams of their own (the scan
    /// log's rows) keep to it too.
    pub fn coalesce(&self) -> Duration {
        self.coalesce
    }

    /// How often the streams of its views send a keep-alive comment while idle.
    pub(super) fn keep_alive(&self) -> Duration {
        self.keep_alive
    }

    /// Everything may have changed: caches forget, every view redraws.
    fn redraw_all(&self) {
        self.listeners.iter().for_each(|listener| listener.lagged());
        self.lock().values().for_each(|live| live.changed.notify_one());
    }

    /// Redraws everything when the bus says updates were lost, and keeps redrawing
    /// while the link to the other instances is down.
    async fn resync_on_loss(self, mut resyncs: watch::Receiver<u64>) {
        let mut link = self.link.clone();
        let mut lost_ok = true;
        loop {
            let down = link.as_ref().is_some_and(|l| *l.borrow() != LinkStatus::Up);
            tokio::select! {
                changed = resyncs.changed(), if lost_ok => {
                    lost_ok = changed.is_ok();
                    if lost_ok { self.redraw_all() }
                }
                changed = async { link.as_mut()?.changed().await.ok() } , if link.is_some() => {
                    if changed.is_none() { link = None }
                    self.redraw_all();
                }
                _ = tokio::time::sleep(DEGRADED_REDRAW), if down => self.redraw_all(),
                else => return,
            }
        }
    }

    /// A receiver of the frames of `view` (rendered by `render`) of the channel, starting
    /// its render task when it is the first. Every subscriber of a view gets the same frames.
    pub fn subscribe(&self, channel: Channel, view: &str, render: Render) -> watch::Receiver<Option<Frame>> {
        self.subscribe_with_clock(channel, view, render, None)
    }

    /// Like `subscribe`, for a view that also changes with time alone (e.g. "sold in the
    /// last hour"): it is redrawn at least every `redraw_every` (unchanged bytes are
    /// still not sent).
    pub fn subscribe_with_clock(
        &self,
        channel: Channel,
        view: &str,
        render: Render,
        redraw_every: Option<Duration>,
    ) -> watch::Receiver<Option<Frame>> {
        let mut channels = self.lock();
        let key = (channel, view.to_owned());
        if let Some(live) = channels.get(&key) {
            return live.frames.subscribe();
        }
        let (frames, receiver) = watch::channel(None);
        let changed = Arc::new(Notify::new());
        channels.insert(
            key.clone(),
            LiveChannel {
                frames: frames.clone(),
                changed: changed.clone(),
            },
        );
        tokio::spawn(self.clone().render_loop(key, frames, changed, render, redraw_every));
        receiver
    }

    /// How many times any view was rendered since the start, whether or not its bytes
    /// changed: what coalescing saves (for tests and metrics).
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// How many channels have a render task (for tests and metrics).
    pub fn live_channels(&self) -> usize {
        self.lock().len()
    }

    /// Receivers of every view (a stream may follow several views: its data and its
    /// session's end): zero once every stream has closed (for tests and metrics).
    pub fn subscribers(&self) -> usize {
        self.lock().values().map(|live| live.frames.receiver_count()).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ViewKey, LiveChannel>> {
        // A panic while holding the map cannot leave it inconsistent: keep serving.
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn route_updates(self, mut updates: broadcast::Receiver<crate::live::Update>) {
        loop {
            match updates.recv().await {
                Ok(update) => {
                    self.listeners.iter().for_each(|listener| listener.updated(&update));
                    self.lock()
                        .iter()
                        .filter(|((channel, _), _)| *channel == update.channel)
                        .for_each(|(_, live)| live.changed.notify_one())
                }
                // Some updates were lost: redraw everything rather than show stale numbers.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    self.listeners.iter().for_each(|listener| listener.lagged());
                    self.lock().values().for_each(|live| live.changed.notify_one());
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    async fn render_loop(
        self,
        key: ViewKey,
        frames: watch::Sender<Option<Frame>>,
        changed: Arc<Notify>,
        render: Render,
        redraw_every: Option<Duration>,
    ) {
        loop {
            self.renders.fetch_add(1, Ordering::Relaxed);
            match render().await {
                // Unchanged bytes are not sent again: a busy channel whose view did not
                // change costs its clients nothing, and live regions are not re-read.
                Ok(frame) => {
                    frames.send_if_modified(|current| {
                        let changed = current.as_ref() != Some(&frame);
                        if changed {
                            *current = Some(frame);
                        }
                        changed
                    });
                }
                // Clients keep the last good frame; the next update tries again.
                Err(e) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        channel = key.0.name(),
                        view = key.1,
                        "cannot render live view"
                    )
                }
            }
            let watched = loop {
                tokio::select! {
                    _ = changed.notified() => break true,
                    _ = clock(redraw_every) => break true,
                    // Re-checked under the lock: a client may have joined meanwhile.
                    _ = frames.closed() => {
                        if self.forget_if_unwatched(&key, &frames) {
                            break false;
                        }
                    }
                }
            };
            if !watched {
                return;
            }
            // Updates arriving during this pause fold into the next render.
            tokio::time::sleep(self.coalesce).await;
        }
    }

    /// Removes the channel when no client is left; false when one joined meanwhile.
    fn forget_if_unwatched(&self, key: &ViewKey, frames: &watch::Sender<Option<Frame>>) -> bool {
        let mut channels = self.lock();
        // The map holds one sender clone; receivers are the clients.
        if frames.receiver_count() > 0 {
            return false;
        }
        channels.remove(key);
        true
    }
}

/// Resolves after `every`, or never.
async fn clock(every: Option<Duration>) {
    match every {
        Some(every) => tokio::time::sleep(every).await,
        None => std::future::pending().await,
    }
}
