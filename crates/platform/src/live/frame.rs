//! What the hub sends: a rendered SSE update (`Frame`), made of parts, and the
//! `Render` that makes a channel's frame.

use std::sync::Arc;

use actix_web_lab::sse;
use bytestring::ByteString;
use futures_util::future::BoxFuture;

/// One rendered SSE update, shared by all clients of a channel. Comparable, so a render
/// that produced the same bytes as the last one sends nothing. A frame may be made of
/// parts (out-of-band fragments of a page), each sent as its own message: a client is
/// sent only the parts that changed since the frame it last got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    event: &'static str,
    parts: Arc<[ByteString]>,
    id: Option<String>,
}

impl Frame {
    /// The same message carrying an SSE id (for `Last-Event-ID` resumption).
    pub fn with_id(self, id: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            ..self
        }
    }

    /// This frame less the parts `previous` already carried; None when nothing changed.
    pub fn changes_since(&self, previous: &Frame) -> Option<Frame> {
        if self == previous {
            return None;
        }
        if self.parts.len() != previous.parts.len() || self.event != previous.event {
            return Some(self.clone());
        }
        let changed: Vec<ByteString> = self
            .parts
            .iter()
            .zip(previous.parts.iter())
            .filter(|(now, before)| now != before)
            .map(|(now, _)| now.clone())
            .collect();
        Some(Frame {
            event: self.event,
            parts: changed.into(),
            id: self.id.clone(),
        })
    }
}

impl Frame {
    /// The SSE messages of this frame: one per part, so every message stays small (a
    /// phone on 3G gets a few hundred bytes per changed section); the id rides on the
    /// last.
    pub fn into_events(self) -> Vec<sse::Event> {
        let last = self.parts.len().saturating_sub(1);
        self.parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let data = sse::Data::new(part.clone()).event(self.event);
                match (&self.id, i == last) {
                    (Some(id), true) => data.id(id.clone()).into(),
                    _ => data.into(),
                }
            })
            .collect()
    }
}

/// Renders a channel's current state. Called once per (coalesced) update. A failure is
/// logged and the clients keep the last good frame, so any error will do.
pub type Render = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<Frame>> + Send + Sync>;

/// A `Render` from an async function of some shared context (cloned into each call).
pub fn render_with<C, F, Fut>(context: C, render: F) -> Render
where
    C: Clone + Send + Sync + 'static,
    F: Fn(C) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Frame>> + Send + 'static,
{
    Arc::new(move || Box::pin(render(context.clone())))
}

/// One SSE message named `sse_event` (what `sse-swap` listens for) carrying `html`.
pub fn frame(sse_event: &'static str, html: impl Into<ByteString>) -> Frame {
    frame_of_parts(sse_event, vec![html.into()])
}

/// An update of several independently changing parts (e.g. `hx-swap-oob` fragments).
pub fn frame_of_parts(sse_event: &'static str, parts: Vec<ByteString>) -> Frame {
    Frame {
        event: sse_event,
        parts: parts.into(),
        id: None,
    }
}
