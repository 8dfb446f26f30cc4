//! The one connection to Redis of a scaled-out instance: a `redis` connection manager
//! (multiplexed, reconnecting) behind a circuit breaker, so a dead Redis costs a request
//! nothing but a flag check. Every call has a response timeout; the first failure opens
//! the breaker and a probe task pings every `PROBE_EVERY` until Redis answers again.
//! The link's status (up, or down since when) is watched by the bus, the counters and
//! the live pages.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::watch;

use crate::config::RedisSettings;

/// How often a down link is probed.
const PROBE_EVERY: Duration = Duration::from_millis(250);

/// Whether Redis can be reached, as the live pages and `/readyz` report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    Up,
    /// Unreachable since this time (unix ms).
    Down {
        since_ms: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// Redis is down (the breaker is open) or did not answer in time.
    #[error("Redis is unavailable: {0}")]
    Unavailable(String),
    /// Redis answered with an error (a bug, not an outage).
    #[error("Redis refused the command: {0}")]
    Refused(#[source] redis::RedisError),
}

pub struct RedisLink {
    client: redis::Client,
    manager: ConnectionManager,
    prefix: String,
    timeout: Duration,
    connect_timeout: Duration,
    open: AtomicBool,
    status: watch::Sender<LinkStatus>,
}

impl RedisLink {
    /// Opens the link and tries Redis once; an instance also starts while Redis is down
    /// (it connects when Redis comes up). Starts the probe task.
    pub async fn open(settings: &RedisSettings) -> anyhow::Result<Arc<Self>> {
        let client = redis::Client::open(settings.url.as_str())
            .map_err(|e| anyhow::anyhow!("invalid Redis URL '{}': {e}", settings.url))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.connect_timeout))
            .set_response_timeout(Some(settings.response_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let manager = client.get_connection_manager_lazy(config)?;
        let link = Arc::new(Self {
            client,
            manager,
            prefix: settings.prefix.clone(),
            timeout: settings.response_timeout,
            connect_timeout: settings.connect_timeout,
            // Closed only once a first ping proves Redis is there.
            open: AtomicBool::new(true),
            status: watch::channel(LinkStatus::Down {
                since_ms: crate::db::now_ms(),
            })
            .0,
        });
        if !link.ping().await {
            tracing::warn!(
                url = settings.url,
                "Redis unreachable at start-up; retrying in the background"
            );
        }
        tokio::spawn(Arc::clone(&link).probe());
        Ok(link)
    }

    /// A key (or pub/sub channel) in this deployment's namespace.
    pub fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.status.subscribe()
    }

    pub fn is_up(&self) -> bool {
        !self.open.load(Ordering::Acquire)
    }

    /// The Redis client, for connections of their own (pub/sub).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Runs one command or pipeline on the shared connection, within the response
    /// timeout; fails at once while the breaker is open.
    pub async fn run<T, F, Fut>(&self, call: F) -> Result<T, RedisError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if !self.is_up() {
            return Err(RedisError::Unavailable("the link is down".into()));
        }
        match tokio::time::timeout(self.timeout, call(self.manager.clone())).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) if is_outage(&e) => Err(self.failed(e.to_string())),
            Ok(Err(e)) => Err(RedisError::Refused(e)),
            Err(_) => Err(self.failed(format!("no answer within {:?}", self.timeout))),
        }
    }

    /// Opens the breaker: calls fail fast until the probe reaches Redis again.
    pub fn failed(&self, reason: String) -> RedisError {
        if !self.open.swap(true, Ordering::AcqRel) {
            tracing::warn!(reason, "Redis unreachable: live updates across instances paused");
            self.status.send_replace(LinkStatus::Down {
                since_ms: crate::db::now_ms(),
            });
        }
        RedisError::Unavailable(reason)
    }

    /// Pings while the link is down; closes the breaker when Redis answers.
    async fn probe(self: Arc<Self>) {
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            if self.is_up() {
                continue;
            }
            if self.ping().await {
                tracing::info!("Redis reachable again");
            }
        }
    }

    /// One PING past the breaker; closes it when Redis answers.
    async fn ping(&self) -> bool {
        let mut conn = self.manager.clone();
        let command = redis::cmd("PING");
        let ping = tokio::time::timeout(
            self.timeout + self.connect_timeout,
            command.query_async::<String>(&mut conn),
        );
        let answered = matches!(ping.await, Ok(Ok(_)));
        if answered {
            self.open.store(false, Ordering::Release);
            self.status.send_replace(LinkStatus::Up);
        }
        answered
    }
}

/// Errors that mean "Redis is not there" rather than "the command was wrong".
fn is_outage(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_refusal() || e.is_timeout() || e.is_connection_dropped()
}
