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
#[derive(Clone, Debug, Eq)]
pub struct Frame {
    event: &'static str,
    parts: Arc<[ByteString]>,
    id: Option<String>,
}

/// Equal bytes; parts that are the same buffer are not compared byte by byte.
impl PartialEq for Frame {
    fn eq(&self, other: &Self) -> bool {
        self.event == other.event
            && self.id == other.id
            && self.parts.len() == other.parts.len()
            && self.parts.iter().zip(other.parts.iter()).all(|(a, b)| same_part(a, b))
    }
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
    /// Parts the hub carried over from `previous` (`carried_over_from`) are the same
    /// bytes, so each subscriber skips them without comparing their contents.
    pub fn changes_since(&self, previous: &Frame) -> Option<Frame> {
        if self.parts.len() != previous.parts.len() || self.event != previous.event {
            return Some(self.clone());
        }
        let changed: Vec<ByteString> = self
            .parts
            .iter()
            .zip(previous.parts.iter())
            .filter(|(now, before)| !same_part(now, before))
            .map(|(now, _)| now.clone())
            .collect();
        if changed.is_empty() && self.id == previous.id {
            return None;
        }
        Some(Frame {
            event: self.event,
            parts: changed.into(),
            id: self.id.clone(),
        })
    }

    /// This frame with each part equal to `previous`'s at the same place replaced by
    /// that part itself: compared once per render here, so that every subscriber's
    /// `changes_since` finds the unchanged parts by address.
    pub fn carried_over_from(self, previous: &Frame) -> Frame {
        if self.parts.len() != previous.parts.len() || self.event != previous.event {
            return self;
        }
        let parts: Vec<ByteString> = self
            .parts
            .iter()
            .zip(previous.parts.iter())
            .map(|(now, before)| if now == before { before.clone() } else { now.clone() })
            .collect();
        Frame {
            parts: parts.into(),
            ..self
        }
    }
}

/// Whether two parts are the same bytes: the same buffer, or equal contents.
fn same_part(now: &ByteString, before: &ByteString) -> bool {
    (now.as_ptr() == before.as_ptr() && now.len() == before.len()) || now == before
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_carries_over_unchanged_parts_and_a_subscriber_gets_only_the_changed_one() {
        let last = frame_of_parts("panel", vec!["counts 1".into(), "gates".into()]);
        let next = frame_of_parts("panel", vec!["counts 2".into(), "gates".into()]).carried_over_from(&last);

        assert_eq!(next.parts[1].as_ptr(), last.parts[1].as_ptr(), "the same buffer");
        let sent = next.changes_since(&last).expect("the counts changed");
        assert_eq!(&*sent.parts, &[ByteString::from("counts 2")]);
        assert_eq!(next.clone().carried_over_from(&next).changes_since(&next), None);
    }
}
