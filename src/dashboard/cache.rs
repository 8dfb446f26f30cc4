//! Dashboard metrics, cached per event for 30 s and invalidated by the bus.
//!
//! Each event has a generation, bumped by every `ticket_sold`, `order_changed` or
//! `scan_occurred` on its occupancy channel (the hub tells the cache before it redraws
//! any view for that update). A cached value is fresh while it was
//! computed at the current generation and is younger than the time to live. One
//! computation runs at a time per event: callers that arrive during it wait and take its
//! result when it started after they asked, so a storm of invalidations and page loads
//! costs one recomputation after another, never a herd. (A generic cache's "compute once"
//! would keep a value computed just before the invalidation that should have dropped it;
//! the generation is what prevents that.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::metrics;
use super::model::EventMetrics;
use crate::db::{self, Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::Event;
use crate::live::{Channel, Update, UpdateKind, UpdateListener};
use crate::scanning::ScanCounters;

const TIME_TO_LIVE: Duration = Duration::from_secs(30);
/// Entries nobody asked for in this long are dropped.
const IDLE_EVICTION: Duration = Duration::from_secs(600);

pub struct MetricsCache {
    pool: Pool,
    counters: Arc<dyn ScanCounters>,
    entries: Mutex<HashMap<Channel, Arc<Entry>>>,
    computations: AtomicU64,
    hits: AtomicU64,
}

#[derive(Default)]
struct Entry {
    generation: AtomicU64,
    slot: tokio::sync::Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    cached: Option<Cached>,
    last_asked: Option<Instant>,
}

struct Cached {
    metrics: Arc<EventMetrics>,
    /// The generation the metrics were computed at.
    generation: u64,
    computed: Instant,
}

impl MetricsCache {
    /// A cache told of updates by the hub (as an `UpdateListener`, before any view is
    /// redrawn), dropping entries nobody asked for in ten minutes.
    pub fn start(pool: Pool, counters: Arc<dyn ScanCounters>) -> Arc<Self> {
        let cache = Arc::new(Self {
            pool,
            counters,
            entries: Mutex::default(),
            computations: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        });
        tokio::spawn(Arc::clone(&cache).sweep());
        cache
    }

    /// The event's metrics: cached, or computed now (once, however many ask).
    pub async fn get_event_metrics(&self, tenant: Tenant, event: &Event) -> Result<Arc<EventMetrics>, AppError> {
        let entry = self.entry(&Channel::occupancy(&tenant, event.id));
        let asked_at = entry.generation.load(Ordering::Acquire);
        let mut slot = entry.slot.lock().await;
        slot.last_asked = Some(Instant::now());
        if let Some(cached) = &slot.cached {
            // Computed after we asked (by whoever held the lock before us), or still current.
            if cached.generation >= asked_at && cached.computed.elapsed() < TIME_TO_LIVE {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Arc::clone(&cached.metrics));
            }
        }
        let generation = entry.generation.load(Ordering::Acquire);
        let metrics = Arc::new(self.compute(tenant, event.clone()).await?);
        slot.cached = Some(Cached {
            metrics: Arc::clone(&metrics),
            generation,
            computed: Instant::now(),
        });
        Ok(metrics)
    }

    /// Drops the cached value and computes it again.
    pub async fn refresh_metrics(&self, tenant: Tenant, event: &Event) -> Result<Arc<EventMetrics>, AppError> {
        self.invalidate(&Channel::occupancy(&tenant, event.id));
        self.get_event_metrics(tenant, event).await
    }

    /// How many times metrics were computed from the database (for tests and metrics).
    pub fn computations(&self) -> u64 {
        self.computations.load(Ordering::Relaxed)
    }

    /// How many times metrics were served from the cache (for metrics).
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    async fn compute(&self, tenant: Tenant, event: Event) -> Result<EventMetrics, AppError> {
        self.computations.fetch_add(1, Ordering::Relaxed);
        let now = db::now_ms();
        let inside = self.counters.occupancy(&tenant, event.id).await?;
        with_db(&self.pool, move |conn| {
            Ok(metrics::compute(conn, &tenant, &event, inside, now)?)
        })
        .await
    }

    fn entry(&self, channel: &Channel) -> Arc<Entry> {
        let mut entries = self.lock();
        Arc::clone(entries.entry(channel.clone()).or_default())
    }

    fn invalidate(&self, channel: &Channel) {
        if let Some(entry) = self.lock().get(channel) {
            entry.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn invalidate_all(&self) {
        for entry in self.lock().values() {
            entry.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Channel, Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn sweep(self: Arc<Self>) {
        let mut sweep = tokio::time::interval(IDLE_EVICTION);
        loop {
            sweep.tick().await;
            self.evict_idle();
        }
    }

    fn evict_idle(&self) {
        self.lock().retain(|_, entry| match entry.slot.try_lock() {
            Ok(slot) => slot.last_asked.is_some_and(|at| at.elapsed() < IDLE_EVICTION),
            // Being computed right now: in use.
            Err(_) => true,
        });
    }
}

impl UpdateListener for MetricsCache {
    fn updated(&self, update: &Update) {
        if matches!(
            update.kind,
            UpdateKind::TicketSold | UpdateKind::OrderChanged | UpdateKind::ScanOccurred
        ) {
            self.invalidate(&update.channel);
        }
    }

    fn lagged(&self) {
        self.invalidate_all();
    }
}
