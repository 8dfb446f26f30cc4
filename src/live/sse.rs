//! SSE responses: a stream of frames with keep-alive comments, and the frames of a hub
//! channel (the current one at once, so a reconnecting client never shows stale
//! numbers, then every new one).

use std::time::Duration;

use actix_web::Responder;
use actix_web_lab::sse::{self, Sse};
use futures_util::{stream, Stream, StreamExt};
use tokio::sync::watch;

use super::Frame;

const KEEP_ALIVE: Duration = Duration::from_secs(15);
const RETRY: Duration = Duration::from_secs(2);

/// The current frame of a hub channel, then each new one.
pub fn channel_frames(frames: watch::Receiver<Option<Frame>>) -> impl Stream<Item = Frame> {
    stream::unfold((frames, true), |(mut frames, first)| async move {
        // The first poll sends whatever is current; later polls wait for a change.
        if !first || frames.borrow().is_none() {
            frames.changed().await.ok()?;
        }
        let frame = frames.borrow_and_update().clone();
        Some((frame, (frames, false)))
    })
    .filter_map(|frame| async move { frame })
}

pub fn sse_stream(frames: impl Stream<Item = Frame> + 'static) -> impl Responder {
    Sse::from_stream(frames.map(Ok::<sse::Event, std::convert::Infallible>))
        .with_keep_alive(KEEP_ALIVE)
        .with_retry_duration(RETRY)
        .customize()
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header(("Cache-Control", "no-cache"))
}

/// The SSE response for one hub channel.
pub fn sse_response(frames: watch::Receiver<Option<Frame>>) -> impl Responder {
    sse_stream(channel_frames(frames))
}
