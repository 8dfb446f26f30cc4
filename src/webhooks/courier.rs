//! The delivery worker: the shared queue loop (`lease_queue`) over
//! `webhook_deliveries`, four at once on a thread of their own (the HTTP client, awc,
//! runs on one thread), posting each delivery signed, with a timeout, to an address checked
//! after resolving the endpoint's host. A 2xx answer is delivered; anything else,
//! or no answer, is tried again after the backoff until the attempts run out.

use std::time::Duration;

use awc::http::header;

use super::queries::{outgoing_delivery, OutgoingDelivery};
use super::signing::{signature, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};
use super::target::{Refusal, WebhookUrl};
use crate::config::WebhookSettings;
use crate::db::{DbConnection, Pool};
use crate::lease_queue::{run_queue, Attempt, Courier, QueueTable, QueueWaker};
use crate::live::Shutdown;

/// Wakes the delivery worker when a delivery is queued from this process.
#[derive(Clone, Default)]
pub struct WebhookWaker(QueueWaker);

impl WebhookWaker {
    pub fn wake(&self) {
        self.0.wake();
    }
}

/// Deliveries under way at once per process, so one slow endpoint (up to its timeout)
/// does not hold up every other.
const DELIVERIES_AT_ONCE: usize = 4;

#[derive(Clone)]
struct WebhookCourier {
    client: awc::Client,
    allow_private: bool,
    timeout: Duration,
}

impl Courier for WebhookCourier {
    type Item = OutgoingDelivery;
    const TABLE: QueueTable = QueueTable("webhook_deliveries");

    fn load(conn: &mut DbConnection, id: i64) -> diesel::QueryResult<Option<OutgoingDelivery>> {
        outgoing_delivery(conn, id)
    }

    async fn deliver(&self, delivery: &OutgoingDelivery) -> Attempt {
        if delivery.disabled_at.is_some() {
            return Attempt::Permanent("the endpoint is disabled".into());
        }
        let url = match WebhookUrl::parse(&delivery.url) {
            Ok(url) => url,
            Err(e) => return Attempt::Permanent(e),
        };
        let address = match url.resolve(self.allow_private).await {
            Ok(address) => address,
            Err(Refusal::Private(e)) => return Attempt::Permanent(e),
            Err(Refusal::Unresolved(e)) => return Attempt::Transient(e),
        };
        let signed = signature(&delivery.secret, chrono::Utc::now().timestamp(), &delivery.body);
        let sent = self
            .client
            .post(url.as_str())
            .address(address)
            .timeout(self.timeout)
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .insert_header((header::USER_AGENT, "Voelgoed-Webhooks/1"))
            .insert_header((SIGNATURE_HEADER, signed))
            .insert_header((DELIVERY_HEADER, delivery.delivery_key.as_str()))
            .insert_header((EVENT_HEADER, delivery.event.as_str()))
            .send_body(delivery.body.clone())
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Attempt::Sent,
            Ok(response) => Attempt::Transient(format!("the endpoint answered HTTP {}", response.status())),
            Err(e) => Attempt::Transient(format!("no answer: {e}")),
        }
    }
}

/// Starts the delivery worker on its own thread; it runs until `shutdown` begins. The
/// returned handle ends when it has stopped (its leases released). Unwoken, each of its
/// loops looks for due deliveries at most every `idle_poll`.
pub fn start_worker(
    pool: Pool,
    settings: &WebhookSettings,
    idle_poll: Duration,
    shutdown: Shutdown,
) -> std::io::Result<(WebhookWaker, tokio::task::JoinHandle<()>)> {
    let waker = WebhookWaker::default();
    let (queue_waker, policy) = (waker.0.clone(), settings.retry);
    let (allow_private, timeout) = (settings.allow_private, settings.timeout);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    // Held by a task of the caller's runtime: when that runtime ends (a test's does at
    // its end) the thread stops too, and with it the pool it holds.
    let (alive_tx, alive_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _alive = alive_tx;
        std::future::pending::<()>().await;
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new()
        .name("webhook-deliveries".into())
        .spawn(move || {
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                let client = awc::Client::builder().disable_redirects().timeout(timeout).finish();
                let courier = WebhookCourier {
                    client,
                    allow_private,
                    timeout,
                };
                let loops: Vec<_> = (0..DELIVERIES_AT_ONCE)
                    .map(|_| {
                        let run = run_queue(
                            pool.clone(),
                            courier.clone(),
                            policy,
                            idle_poll,
                            shutdown.clone(),
                            queue_waker.clone(),
                        );
                        tokio::task::spawn_local(run)
                    })
                    .collect();
                tokio::select! {
                    _ = futures_util::future::join_all(loops) => {}
                    _ = alive_rx => {}
                }
            });
            // Dropping the LocalSet ends whatever still runs on it.
            drop(local);
            let _ = done_tx.send(());
        })?;
    let stopped = tokio::spawn(async move {
        let _ = done_rx.await;
    });
    Ok((waker, stopped))
}
