//! The scaled-out bus: every update goes to this process's subscribers at once and, over
//! Redis pub/sub (one channel, `{prefix}:updates`), to every other instance, whose
//! subscriber task hands it to its own hub. Each message names the instance that sent
//! it, so an instance never hears its own updates twice.
//!
//! Nothing is silently lost: when the pub/sub connection drops (Redis restart, network)
//! the subscriber reconnects by itself and bumps `resyncs`, and a publisher that could
//! not send tells the others to resync once Redis is back, so every hub redraws
//! everything instead of showing a number that stopped moving.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc, watch};

use super::{Bus, Update};
use crate::redis_link::{LinkStatus, RedisLink};

const LOCAL_CAPACITY: usize = 4096;
/// Updates waiting to be published before the publisher counts them as lost.
const OUTGOING: usize = 16_384;
/// Updates sent to Redis in one pipeline.
const PUBLISH_BATCH: usize = 512;
const RECONNECT_EVERY: Duration = Duration::from_millis(250);

/// What goes over the wire.
#[derive(serde::Serialize, serde::Deserialize)]
struct Message {
    from: String,
    /// None: "I lost updates you should have had: redraw everything".
    update: Option<Update>,
}

pub struct RedisBus {
    local: broadcast::Sender<Update>,
    outgoing: mpsc::Sender<Update>,
    /// Set when an update could not even be queued for Redis, or when something else
    /// this instance should have shared was lost (`owe_resync`).
    overflowed: Arc<AtomicBool>,
    resyncs: watch::Sender<u64>,
    link: Arc<RedisLink>,
}

impl RedisBus {
    /// Starts the publisher and the subscriber tasks.
    pub fn start(link: Arc<RedisLink>) -> Self {
        // Names this instance on the bus; only needs to differ from the others.
        let instance = format!("{:032x}", rand::random::<u128>());
        let local = broadcast::channel(LOCAL_CAPACITY).0;
        let (outgoing, queue) = mpsc::channel(OUTGOING);
        let overflowed = Arc::new(AtomicBool::new(false));
        let resyncs = watch::channel(0).0;
        let channel = link.key("updates");
        tokio::spawn(publish_loop(
            link.clone(),
            channel.clone(),
            instance.clone(),
            queue,
            overflowed.clone(),
        ));
        tokio::spawn(subscribe_loop(
            link.clone(),
            channel,
            instance,
            local.clone(),
            resyncs.clone(),
        ));
        Self {
            local,
            outgoing,
            overflowed,
            resyncs,
            link,
        }
    }
}

impl Bus for RedisBus {
    fn publish(&self, update: Update) {
        // No local subscriber is not an error: nobody here watches that channel.
        let _ = self.local.send(update.clone());
        if self.outgoing.try_send(update).is_err() {
            self.overflowed.store(true, Ordering::Release);
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.local.subscribe()
    }

    fn resyncs(&self) -> watch::Receiver<u64> {
        self.resyncs.subscribe()
    }

    fn link_status(&self) -> Option<watch::Receiver<LinkStatus>> {
        Some(self.link.status())
    }

    /// Paid with the next message sent: the next update, or the link coming back.
    fn owe_resync(&self) {
        self.overflowed.store(true, Ordering::Release);
    }
}

/// Sends queued updates in pipelines. Updates that could not be sent are owed: the
/// first message after Redis is back tells every instance to resync.
async fn publish_loop(
    link: Arc<RedisLink>,
    channel: String,
    instance: String,
    mut queue: mpsc::Receiver<Update>,
    overflowed: Arc<AtomicBool>,
) {
    let mut owe_resync = false;
    let mut status = link.status();
    loop {
        let mut batch = Vec::new();
        tokio::select! {
            received = queue.recv_many(&mut batch, PUBLISH_BATCH) => if received == 0 { return },
            // Redis came back: pay what is owed even if nothing new is published.
            changed = status.changed() => if changed.is_err() { return },
        }
        owe_resync |= overflowed.swap(false, Ordering::AcqRel);
        if !link.is_up() {
            owe_resync |= !batch.is_empty();
            continue;
        }
        if batch.is_empty() && !owe_resync {
            continue;
        }
        let mut messages: Vec<Message> = Vec::with_capacity(batch.len() + 1);
        if owe_resync {
            messages.push(Message {
                from: instance.clone(),
                update: None,
            });
        }
        messages.extend(batch.into_iter().map(|update| Message {
            from: instance.clone(),
            update: Some(update),
        }));
        let mut pipe = redis::pipe();
        for message in &messages {
            match serde_json::to_string(message) {
                Ok(json) => pipe.publish(&channel, json).ignore(),
                Err(e) => {
                    tracing::error!(error = %e, "cannot encode an update");
                    continue;
                }
            };
        }
        let sent = link
            .run(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
            .await;
        owe_resync = sent.is_err();
    }
}

/// Keeps one pub/sub connection subscribed, reconnecting by itself; every (re)connect
/// bumps `resyncs`, since whatever was published meanwhile never arrived.
async fn subscribe_loop(
    link: Arc<RedisLink>,
    channel: String,
    instance: String,
    local: broadcast::Sender<Update>,
    resyncs: watch::Sender<u64>,
) {
    loop {
        let connect = async {
            let mut pubsub = link.client().get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(link.connect_timeout(), connect).await {
            Ok(Ok(pubsub)) => {
                resyncs.send_modify(|n| *n += 1);
                let mut messages = pubsub.into_on_message();
                while let Some(message) = messages.next().await {
                    deliver(&message, &instance, &local, &resyncs);
                }
                link.failed("the pub/sub connection closed".into());
                resyncs.send_modify(|n| *n += 1);
            }
            Ok(Err(e)) => {
                link.failed(e.to_string());
            }
            Err(_) => {
                link.failed("no pub/sub connection within the connect timeout".into());
            }
        }
        tokio::time::sleep(RECONNECT_EVERY).await;
    }
}

fn deliver(message: &redis::Msg, instance: &str, local: &broadcast::Sender<Update>, resyncs: &watch::Sender<u64>) {
    let Ok(payload) = message.get_payload::<String>() else {
        return;
    };
    match serde_json::from_str::<Message>(&payload) {
        Ok(message) if message.from == instance => {}
        Ok(Message {
            update: Some(update), ..
        }) => {
            let _ = local.send(update);
        }
        Ok(Message { update: None, .. }) => resyncs.send_modify(|n| *n += 1),
        // From a newer or older version of the app: redraw rather than guess.
        Err(e) => {
            tracing::warn!(error = %e, "an update from another instance could not be read");
            resyncs.send_modify(|n| *n += 1);
        }
    }
}
