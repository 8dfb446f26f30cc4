//! How many live streams are open on this app, by kind (the route they came in on), and
//! the bytes written to them. Every stream passes the stream guard, which wraps its body
//! here: the count goes up when the stream starts and down when its body is dropped,
//! however it ends (the client left, a sign-out, shutdown).

use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;

use crate::paths;

/// What a live stream shows, from its route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    ScanMonitor,
    Dashboard,
    Kiosk,
    Orders,
    Other,
}

impl StreamKind {
    pub const ALL: [Self; 5] = [
        Self::ScanMonitor,
        Self::Dashboard,
        Self::Kiosk,
        Self::Orders,
        Self::Other,
    ];

    /// The kind of the stream a route pattern (`HttpRequest::match_pattern`) serves.
    pub fn of_route(pattern: Option<&str>) -> Self {
        match pattern {
            Some(paths::SCAN_MONITOR_STREAM) => Self::ScanMonitor,
            Some(paths::EVENT_DASHBOARD_STREAM) => Self::Dashboard,
            Some(paths::KIOSK_STREAM) => Self::Kiosk,
            Some(paths::ORDERS_STREAM) => Self::Orders,
            _ => Self::Other,
        }
    }

    /// The `kind` label.
    pub fn label(self) -> &'static str {
        match self {
            Self::ScanMonitor => "scan_monitor",
            Self::Dashboard => "dashboard",
            Self::Kiosk => "kiosk",
            Self::Orders => "orders",
            Self::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Open streams of this app, per kind.
#[derive(Clone, Default)]
pub struct StreamCounts(Arc<[AtomicI64; 5]>);

impl StreamCounts {
    /// Streams of `kind` open now.
    pub fn open(&self, kind: StreamKind) -> i64 {
        self.0[kind.index()].load(Ordering::Relaxed)
    }

    /// `body`, counted as an open stream of `kind` until it is dropped.
    pub fn count<B>(&self, kind: StreamKind, body: B) -> Counted<B> {
        self.0[kind.index()].fetch_add(1, Ordering::Relaxed);
        Counted {
            body,
            _open: OpenStream {
                counts: self.clone(),
                kind,
            },
            bytes: metrics::counter!("voelgoed_sse_bytes_total", "kind" => kind.label()),
        }
    }
}

struct OpenStream {
    counts: StreamCounts,
    kind: StreamKind,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.counts.0[self.kind.index()].fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream's body, counting its bytes; closes its place in the count when dropped.
pub struct Counted<B> {
    body: B,
    _open: OpenStream,
    bytes: metrics::Counter,
}

impl<B: MessageBody + Unpin> MessageBody for Counted<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            self.bytes.increment(chunk.len() as u64);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_counts_while_its_body_lives() {
        let counts = StreamCounts::default();
        let body = counts.count(StreamKind::Kiosk, ());
        assert_eq!(counts.open(StreamKind::Kiosk), 1);
        assert_eq!(counts.open(StreamKind::ScanMonitor), 0);
        drop(body);
        assert_eq!(counts.open(StreamKind::Kiosk), 0);
    }
}
