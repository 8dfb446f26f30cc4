//! The SSE response for a hub channel: the current frame at once (so a reconnecting
//! client never shows stale numbers), then every new frame, with keep-alive comments.

use std::time::Duration;

use actix_web::Responder;
use actix_web_lab::sse::{self, Sse};
use futures_util::stream;
use tokio::sync::watch;

use super::Frame;

const KEEP_ALIVE: Duration = Duration::from_secs(15);
const RETRY: Duration = Duration::from_secs(2);

pub fn sse_response(frames: watch::Receiver<Option<Frame>>) -> impl Responder {
    let events = stream::unfold((frames, true), |(mut frames, first)| async move {
        // The first poll sends whatever is current; later polls wait for a change.
        if !first || frames.borrow().is_none() {
            frames.changed().await.ok()?;
        }
        let frame = frames.borrow_and_update().clone();
        Some((frame, (frames, false)))
    });
    let events = futures_util::StreamExt::filter_map(events, |frame| async move {
        frame.map(Ok::<sse::Event, std::convert::Infallible>)
    });
    Sse::from_stream(events)
        .with_keep_alive(KEEP_ALIVE)
        .with_retry_duration(RETRY)
        .customize()
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header(("Cache-Control", "no-cache"))
}
