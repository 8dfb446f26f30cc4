//! An event's arrivals, computed at most once per `arrivals_every` (5 s) for every open
//! dashboard and monitor of the event together, and the live view that pushes them:
//! the hub redraws it on the channel's updates and on the clock, and it only recomputes
//! when the kept value has aged, so a busy gate costs one pair of queries per period.
//! A page load takes the kept value and never computes on its own (`for_page`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, Stream};

use super::model::Arrivals;
use super::queries;
use super::shown::Shown;
use super::views::{arrivals_fragments, ARRIVALS_SSE_EVENT};
use crate::db::{self, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::events::Event;
use crate::live::{channel_frames, frame_of_parts, render_with, Channel, Frame, Hub, Kept};
use crate::panels::{Loaded, PanelName, Panels};
use crate::scanning::ScanCounters;

pub struct ArrivalsCache {
    pool: Pool,
    counters: Arc<dyn ScanCounters>,
    every: Duration,
    /// How long a page waits for arrivals when none are kept (then it shows them as
    /// loading and its stream brings them).
    first_paint: Duration,
    kept: Kept<(i64, i64), Arrivals>,
    computations: Arc<AtomicU64>,
    panels: Panels,
}

impl ArrivalsCache {
    pub fn new(
        pool: Pool,
        counters: Arc<dyn ScanCounters>,
        (every, first_paint): (Duration, Duration),
        panels: Panels,
    ) -> Self {
        Self {
            pool,
            counters,
            every,
            first_paint,
            kept: Kept::default(),
            computations: Arc::default(),
            panels,
        }
    }

    /// The arrivals panel of a page: `for_page` within the panels' budget.
    pub async fn page_panel(&self, tenant: Tenant, event: &Event) -> Loaded<Option<Arc<Arrivals>>> {
        self.panels
            .load(PanelName::Arrivals, self.for_page(tenant, event))
            .await
    }

    /// The arrivals panel of a live redraw: `recent` within the panels' budget.
    pub async fn live_panel(&self, tenant: Tenant, event: &Event) -> Loaded<Arc<Arrivals>> {
        self.panels.load(PanelName::Arrivals, self.recent(tenant, event)).await
    }

    /// For a page: the kept arrivals if at most two periods old (a refresh starts once
    /// they are older than one); else the computation's result if it comes within the
    /// first-paint wait, or `None`: the page shows them as loading.
    pub async fn for_page(&self, tenant: Tenant, event: &Event) -> Result<Option<Arc<Arrivals>>, AppError> {
        let key = (tenant.organization_id(), event.id);
        if let Some(arrivals) = self.kept.peek(&key, self.every) {
            return Ok(Some(arrivals));
        }
        let found = self.kept.refresh(key, || self.computation(tenant, event));
        if let Some((age, arrivals)) = &found.value {
            if *age < self.every * 2 {
                return Ok(Some(Arc::clone(arrivals)));
            }
        }
        match tokio::time::timeout(self.first_paint, found.computed()).await {
            Ok(arrivals) => arrivals.map(Some).map_err(AppError::Unavailable),
            Err(_) => Ok(None),
        }
    }

    /// At most `arrivals_every` old; one computation at a time per event.
    pub async fn recent(&self, tenant: Tenant, event: &Event) -> Result<Arc<Arrivals>, AppError> {
        let key = (tenant.organization_id(), event.id);
        self.kept
            .get(key, self.every, || self.computation(tenant, event))
            .await
            .map_err(AppError::Unavailable)
    }

    /// The shortest time between two computations of one event's arrivals.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// How many times arrivals were computed from the database (tests, metrics).
    pub fn computations(&self) -> u64 {
        self.computations.load(Ordering::Relaxed)
    }

    fn computation(
        &self,
        tenant: Tenant,
        event: &Event,
    ) -> futures_util::future::BoxFuture<'static, Result<Arrivals, AppError>> {
        let (pool, counters, computations, event) = (
            self.pool.clone(),
            Arc::clone(&self.counters),
            Arc::clone(&self.computations),
            event.clone(),
        );
        async move {
            computations.fetch_add(1, Ordering::Relaxed);
            let inside = counters.occupancy(&tenant, event.id).await?;
            let now = db::now_ms();
            with_db(&pool, move |conn| {
                Ok(queries::load_arrivals(conn, &tenant, &event, now, inside)?)
            })
            .await
        }
        .boxed()
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
        let arrivals = cache.live_panel(tenant, &event).await;
        let parts = arrivals_fragments(Shown::live(&arrivals), &event.timezone)
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(frame_of_parts(ARRIVALS_SSE_EVENT, parts))
    });
    // The clock redraw picks up the last updates of a burst, and "the last 30 minutes".
    channel_frames(hub.subscribe_with_clock(channel, ARRIVALS_SSE_EVENT, render, Some(every)))
}
