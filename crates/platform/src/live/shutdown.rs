//! Graceful shutdown: one signal that the server is stopping, which live streams and
//! background workers listen to. Live streams end at once (their clients reconnect, to
//! another instance behind a load balancer), so the server need not wait for them.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use tokio::sync::watch;

#[derive(Clone)]
pub struct Shutdown {
    begun: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self {
            begun: Arc::new(watch::channel(false).0),
        }
    }
}

impl Shutdown {
    pub fn begin(&self) {
        self.begun.send_replace(true);
    }

    pub fn has_begun(&self) -> bool {
        *self.begun.borrow()
    }

    /// Resolves once shutdown has begun.
    pub fn begun(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut begun = self.begun.subscribe();
        async move {
            // An error means the sender is gone: the server is gone too.
            let _ = begun.wait_for(|begun| *begun).await;
        }
    }

    /// `body`, ended early when shutdown begins (for streams that never end by
    /// themselves); `held` is dropped with the body.
    pub fn end_on_shutdown<B: MessageBody, H: Unpin>(&self, body: B, held: H) -> EndsOnShutdown<B, H> {
        EndsOnShutdown {
            body,
            shutdown: self.begun().boxed(),
            _held: held,
        }
    }
}

/// A response body that ends when shutdown begins.
pub struct EndsOnShutdown<B, H> {
    body: B,
    shutdown: BoxFuture<'static, ()>,
    /// Kept as long as the stream lasts (a place in a stream quota).
    _held: H,
}

impl<B: MessageBody + Unpin, H: Unpin> MessageBody for EndsOnShutdown<B, H> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if self.shutdown.poll_unpin(cx).is_ready() {
            return Poll::Ready(None);
        }
        Pin::new(&mut self.body).poll_next(cx)
    }
}
