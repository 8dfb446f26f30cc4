//! SSE responses: a stream of frames with keep-alive comments, and the frames of a hub
//! channel (the current one at once, so a reconnecting client never shows stale
//! numbers, then every new one).

use std::time::Duration;

use actix_web::Responder;
use actix_web_lab::sse::{self, Sse};
use futures_util::{stream, Stream, StreamExt};
use tokio::sync::watch;

use super::Frame;

/// How long a client waits before reconnecting, drawn per stream from this range (ms):
/// after a restart, 10,000 clients come back spread over 4 s rather than all at once.
const RETRY_MS: std::ops::RangeInclusive<u64> = 1_000..=5_000;

/// A reconnect delay of its own for one stream.
fn jittered_retry() -> Duration {
    Duration::from_millis(rand::random_range(RETRY_MS))
}

/// The current frame of a hub channel, then each new one: only its changed parts, for
/// frames made of parts. A client that skipped frames gets the difference from the
/// frame it last got, so nothing it shows is left stale.
pub fn channel_frames(frames: watch::Receiver<Option<Frame>>) -> impl Stream<Item = Frame> {
    stream::unfold((frames, None::<Frame>), |(mut frames, sent)| async move {
        loop {
            // The first poll sends whatever is current; later polls wait for a change.
            if sent.is_some() || frames.borrow().is_none() {
                frames.changed().await.ok()?;
            }
            let Some(current) = frames.borrow_and_update().clone() else {
                continue;
            };
            let message = match &sent {
                Some(previous) => current.changes_since(previous),
                None => Some(current.clone()),
            };
            if let Some(message) = message {
                return Some((message, (frames, Some(current))));
            }
        }
    })
}

/// The frames as SSE messages, with a keep-alive comment every `keep_alive`
/// (`Settings::sse_keep_alive`, through the hub).
pub fn sse_stream(frames: impl Stream<Item = Frame> + 'static, keep_alive: Duration) -> impl Responder {
    let pushes = metrics::counter!("voelgoed_sse_pushes_total");
    Sse::from_stream(
        frames
            .inspect(move |_| pushes.increment(1))
            .flat_map(|frame| stream::iter(frame.into_events()))
            .map(Ok::<sse::Event, std::convert::Infallible>),
    )
    .with_keep_alive(keep_alive)
    .with_retry_duration(jittered_retry())
    .customize()
    .insert_header(("X-Accel-Buffering", "no"))
    .insert_header(("Cache-Control", "no-cache"))
}

/// `frames` until `ended` resolves (the viewer's session was signed out or expired):
/// then the stream closes, and the browser's reconnect meets the sign-in check.
pub fn sse_stream_until(
    frames: impl Stream<Item = Frame> + 'static,
    ended: impl std::future::Future<Output = ()> + 'static,
    keep_alive: Duration,
) -> impl Responder {
    sse_stream(frames.take_until(ended), keep_alive)
}

impl super::Hub {
    /// A page's live stream: `frames` with the live-status line merged in and a
    /// keep-alive comment whenever the hub's `keep_alive` passes, until `ended` resolves
    /// (the viewer's session ended).
    pub fn sse_until(
        &self,
        frames: impl Stream<Item = Frame> + 'static,
        ended: impl std::future::Future<Output = ()> + 'static,
    ) -> impl Responder {
        sse_stream_until(self.with_live_status(frames), ended, self.keep_alive())
    }

    /// A live stream with no session to end it (a kiosk's).
    pub fn sse(&self, frames: impl Stream<Item = Frame> + 'static) -> impl Responder {
        sse_stream(self.with_live_status(frames), self.keep_alive())
    }
}

/// The SSE response for one hub channel.
pub fn sse_response(frames: watch::Receiver<Option<Frame>>, keep_alive: Duration) -> impl Responder {
    sse_stream(channel_frames(frames), keep_alive)
}
