//! An event's arrivals, computed at most once per `arrivals_every` (5 s) for every open
//! dashboard and monitor of the event together, and the live view that pushes them:
//! the hub redraws it on the channel's updates and on the clock, and it only recomputes
//! when the shared value has aged, so a busy gate costs one pair of queries per period.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::Stream;
use tokio::time::Instant;

use super::model::Arrivals;
use super::queries;
use super::views::{arrivals_fragments, ARRIVALS_SSE_EVENT};
use crate::db::{self, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::events::Event;
use crate::live::{channel_frames, frame_of_parts, render_with, Channel, Frame, Hub};
use crate::scanning::counters::ScanCounters;

/// Entries not asked for in this long are dropped.
const IDLE: Duration = Duration::from_secs(600);

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Arc<Arrivals>)>>>;

pub struct ArrivalsCache {
    pool: Pool,
    counters: Arc<dyn ScanCounters>,
    every: Duration,
    slots: Mutex<HashMap<(i64, i64), (Instant, Slot)>>,
    computations: AtomicU64,
}

impl ArrivalsCache {
    pub fn new(pool: Pool, counters: Arc<dyn ScanCounters>, every: Duration) -> Self {
        Self {
            pool,
            counters,
            every,
            slots: Mutex::default(),
            computations: AtomicU64::new(0),
        }
    }

    /// Computed now (a page load shows the latest), and kept for the live views.
    pub async fn fresh(&self, tenant: Tenant, event: &Event) -> Result<Arc<Arrivals>, AppError> {
        self.get(tenant, event, Duration::ZERO).await
    }

    /// At most `arrivals_every` old; one computation at a time per event.
    pub async fn recent(&self, tenant: Tenant, event: &Event) -> Result<Arc<Arrivals>, AppError> {
        self.get(tenant, event, self.every).await
    }

    /// The shortest time between two computations of one event's arrivals.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// How many times arrivals were computed from the database (tests, metrics).
    pub fn computations(&self) -> u64 {
        self.computations.load(Ordering::Relaxed)
    }

    async fn get(&self, tenant: Tenant, event: &Event, max_age: Duration) -> Result<Arc<Arrivals>, AppError> {
        let slot = self.slot(tenant.organization_id(), event.id);
        let mut cached = slot.lock().await;
        if let Some((at, arrivals)) = &*cached {
            if at.elapsed() < max_age {
                return Ok(Arc::clone(arrivals));
            }
        }
        let arrivals = Arc::new(self.compute(tenant, event.clone()).await?);
        *cached = Some((Instant::now(), Arc::clone(&arrivals)));
        Ok(arrivals)
    }

    async fn compute(&self, tenant: Tenant, event: Event) -> Result<Arrivals, AppError> {
        self.computations.fetch_add(1, Ordering::Relaxed);
        let inside = self.counters.occupancy(&tenant, event.id).await?;
        let now = db::now_ms();
        with_db(&self.pool, move |conn| {
            Ok(queries::load_arrivals(conn, &tenant, &event, now, inside)?)
        })
        .await
    }

    fn slot(&self, org: i64, event_id: i64) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.retain(|_, (asked, _)| asked.elapsed() < IDLE);
        let entry = slots
            .entry((org, event_id))
            .or_insert_with(|| (Instant::now(), Slot::default()));
        entry.0 = Instant::now();
        Arc::clone(&entry.1)
    }
}

/// The arrivals' frames for one page's stream: the view of `channel` (the dashboard's
/// occupancy channel or the monitor's scans channel), shared by every client of it.
pub fn arrivals_frames(
    hub: &Hub,
    channel: Channel,
    cache: Arc<ArrivalsCache>,
    tenant: Tenant,
    event: Event,
) -> impl Stream<Item = Frame> {
    let every = cache.every;
    let context = (cache, Arc::new(event));
    let render = render_with(context, move |(cache, event)| async move {
        let arrivals = cache.recent(tenant, &event).await?;
        let parts = arrivals_fragments(&arrivals, &event.timezone)
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(frame_of_parts(ARRIVALS_SSE_EVENT, parts))
    });
    // The clock redraw picks up the last updates of a burst, and "the last 30 minutes".
    channel_frames(hub.subscribe_with_clock(channel, ARRIVALS_SSE_EVENT, render, Some(every)))
}
