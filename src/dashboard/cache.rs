//! Dashboard metrics, cached per event for 30 s and invalidated by the bus.
//!
//! Each event has a generation, bumped by every `ticket_sold`, `order_changed` or
//! `scan_occurred` on its occupancy channel (the hub tells the cache before it redraws
//! any view for that update). A cached value is fresh while it was computed at the
//! current generation and is younger than the time to live. One computation runs at a
//! time per event, and nobody waits on a lock held across it: a caller whose answer it
//! will hold joins it; a caller that asked after it began starts the next one, which
//! waits for it, and everyone after joins that. A storm of invalidations and page loads
//! costs one recomputation after another, never a herd. (A generic cache's "compute
//! once" would keep a value computed just before the invalidation that should have
//! dropped it; the generation is what prevents that.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt, Shared};

use super::metrics;
use super::model::EventMetrics;
use crate::db::{self, Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::Event;
use crate::live::{Channel, Ticker, Update, UpdateKind, UpdateListener};
use crate::panels::{Loaded, PanelName, Panels};
use crate::scanning::ScanCounters;

const TIME_TO_LIVE: Duration = Duration::from_secs(30);
/// Entries nobody asked for in this long are dropped.
const IDLE_EVICTION: Duration = Duration::from_secs(600);

/// A computation under way, shared by everyone whose answer it will hold.
type Flight = Shared<BoxFuture<'static, Result<Arc<EventMetrics>, String>>>;

pub struct MetricsCache {
    pool: Pool,
    counters: Arc<dyn ScanCounters>,
    panels: Panels,
    entries: Mutex<HashMap<Channel, Arc<Entry>>>,
    computations: Arc<AtomicU64>,
    hits: AtomicU64,
}

#[derive(Default)]
struct Entry {
    generation: AtomicU64,
    /// Held only to look and to store, never across a computation.
    slot: Mutex<Slot>,
}

impl Entry {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct Slot {
    cached: Option<Cached>,
    /// The latest computation begun and the generation it reads at least.
    flight: Option<(u64, Flight)>,
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
    pub fn start(pool: Pool, counters: Arc<dyn ScanCounters>, panels: Panels) -> Arc<Self> {
        let cache = Arc::new(Self {
            pool,
            counters,
            panels,
            entries: Mutex::default(),
            computations: Arc::default(),
            hits: AtomicU64::new(0),
        });
        tokio::spawn(Arc::clone(&cache).sweep());
        cache
    }

    /// The metrics as a panel of a page or a redraw: within the panels' budget.
    pub async fn panel(&self, tenant: Tenant, event: &Event) -> Loaded<Arc<EventMetrics>> {
        self.panels
            .load(PanelName::Metrics, self.get_event_metrics(tenant, event))
            .await
    }

    /// The event's metrics: cached, or computed now (once, however many ask).
    pub async fn get_event_metrics(&self, tenant: Tenant, event: &Event) -> Result<Arc<EventMetrics>, AppError> {
        let entry = self.entry(&Channel::occupancy(&tenant, event.id));
        let asked_at = entry.generation.load(Ordering::Acquire);
        let flight = {
            let mut slot = entry.slot();
            slot.last_asked = Some(Instant::now());
            if let Some(cached) = &slot.cached {
                if cached.generation >= asked_at && cached.computed.elapsed() < TIME_TO_LIVE {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(Arc::clone(&cached.metrics));
                }
            }
            match &slot.flight {
                // Begun after we asked: its answer is new enough.
                Some((generation, flight)) if *generation >= asked_at => flight.clone(),
                running => {
                    let before = running.as_ref().map(|(_, flight)| flight.clone());
                    let generation = entry.generation.load(Ordering::Acquire);
                    let flight = self.begin(&entry, generation, before, tenant, event.clone());
                    slot.flight = Some((generation, flight.clone()));
                    flight
                }
            }
        };
        flight.await.map_err(AppError::Unavailable)
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

    /// A computation at `generation`, after `before` (the one still running) ends, in
    /// the background: its value is kept even when every caller has gone.
    fn begin(
        &self,
        entry: &Arc<Entry>,
        generation: u64,
        before: Option<Flight>,
        tenant: Tenant,
        event: Event,
    ) -> Flight {
        let (pool, counters, computations) = (
            self.pool.clone(),
            Arc::clone(&self.counters),
            Arc::clone(&self.computations),
        );
        let entry = Arc::clone(entry);
        let task = tokio::spawn(async move {
            if let Some(before) = before {
                let _ = before.await;
            }
            computations.fetch_add(1, Ordering::Relaxed);
            let outcome = compute(pool, counters.as_ref(), tenant, event).await.map(Arc::new);
            let mut slot = entry.slot();
            if slot.flight.as_ref().is_some_and(|(g, _)| *g == generation) {
                slot.flight = None;
            }
            let outcome = outcome.map(|metrics| kept_since(metrics, slot.cached.as_ref()));
            match &outcome {
                Ok(metrics) if slot.cached.as_ref().is_none_or(|c| c.generation <= generation) => {
                    slot.cached = Some(Cached {
                        metrics: Arc::clone(metrics),
                        generation,
                        computed: Instant::now(),
                    });
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(error = ?error, "dashboard metrics not computed"),
            }
            outcome.map_err(|e| e.to_string())
        });
        async move {
            task.await
                .map_err(|e| format!("the metrics computation stopped: {e}"))?
        }
        .boxed()
        .shared()
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

    fn lock(&self) -> MutexGuard<'_, HashMap<Channel, Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn sweep(self: Arc<Self>) {
        let mut ticker = Ticker::new(IDLE_EVICTION, None);
        while ticker.next_round().await {
            self.evict_idle();
        }
    }

    fn evict_idle(&self) {
        self.lock().retain(|_, entry| {
            let slot = entry.slot();
            // Being computed right now: in use.
            slot.flight.is_some() || slot.last_asked.is_some_and(|at| at.elapsed() < IDLE_EVICTION)
        });
    }
}

async fn compute(
    pool: Pool,
    counters: &dyn ScanCounters,
    tenant: Tenant,
    event: Event,
) -> Result<EventMetrics, AppError> {
    let now = db::now_ms();
    let counts = counters.event_counts(&tenant, event.id, now).await?;
    with_db(&pool, move |conn| {
        Ok(metrics::compute(conn, &tenant, &event, &counts, now)?)
    })
    .await
}

/// An alert that lasts keeps the moment it began: a zone's alert (whose start nothing
/// stored says) and the venue's while a headcount holds its count above the tickets
/// inside would otherwise begin again with each computation.
fn kept_since(metrics: Arc<EventMetrics>, before: Option<&Cached>) -> Arc<EventMetrics> {
    let Some(before) = before else {
        return metrics;
    };
    let mut metrics = Arc::unwrap_or_clone(metrics);
    for alert in &mut metrics.alerts {
        let earlier = before
            .metrics
            .alerts
            .iter()
            .find(|a| a.subject == alert.subject && a.level == alert.level);
        if let Some(earlier) = earlier {
            alert.since = alert.since.min(earlier.since);
        }
    }
    Arc::new(metrics)
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
