//! The page cases: one signed-in `GET` of a whole page, from the request's first byte
//! to the response's last, over one kept-alive connection. `dashboard-warm` with the
//! event's metrics cached, `dashboard-cold` right after an update on its occupancy
//! channel (so they are computed again), `monitor-first-load`, `orders-first-page` and
//! `orders-search` (a buyer's surname prefix).

use std::time::Duration;

use super::fixture::Fixture;
use super::http::{get, Connection};
use super::window::Operation;
use super::Case;
use voelgoed::live::{Channel, Update, UpdateKind};
use voelgoed::paths;

/// What the event's metrics cache should do in the window.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Metrics {
    /// Not this page's concern.
    Any,
    /// Served from the cache: never computed.
    Cached,
    /// Computed once per load.
    Dropped,
}

pub struct Page {
    connection: Connection,
    request: Vec<u8>,
    metrics: Metrics,
    /// Computations of metrics before the window.
    computations: u64,
}

impl Page {
    pub async fn new(fixture: &Fixture, case: Case) -> anyhow::Result<Self> {
        let event = fixture.event_id;
        let (path, metrics) = match case {
            Case::DashboardWarm => (paths::event_dashboard(event), Metrics::Cached),
            Case::DashboardCold => (paths::event_dashboard(event), Metrics::Dropped),
            Case::MonitorFirstLoad => (paths::scan_monitor(event), Metrics::Any),
            Case::OrdersSearch => {
                let query = serde_urlencoded::to_string([("q", &fixture.surname_prefix)])?;
                (paths::with_query(paths::ORDERS, &query), Metrics::Any)
            }
            _ => (paths::ORDERS.to_owned(), Metrics::Any),
        };
        let session = fixture.session().await?;
        Ok(Self {
            connection: Connection::open(fixture.address).await?,
            request: get(&path, Some(&session)),
            metrics,
            computations: 0,
        })
    }
}

impl Operation for Page {
    /// For `dashboard-cold`: an update on the event's occupancy channel, as a sale
    /// publishes it, and a moment for the hub to tell the metrics cache.
    async fn prepare(&mut self, fixture: &mut Fixture, _run: usize) -> anyhow::Result<()> {
        if self.metrics == Metrics::Dropped {
            fixture.services.bus.publish(Update {
                channel: Channel::occupancy(&fixture.tenant, fixture.event_id),
                kind: UpdateKind::OrderChanged,
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.computations = fixture.services.metrics.computations();
        Ok(())
    }

    async fn run(&mut self, _fixture: &mut Fixture, _run: usize) -> anyhow::Result<()> {
        self.connection.send(&self.request).await.map(drop)
    }

    /// The cached metrics live 30 s: they start now, so the measured loads all hit them.
    async fn before_measuring(&mut self, fixture: &mut Fixture) -> anyhow::Result<()> {
        if self.metrics == Metrics::Cached {
            let (pool, tenant) = (fixture.pool(), fixture.tenant);
            let event = voelgoed::events::load_event(&pool, tenant, fixture.event_id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            fixture
                .services
                .metrics
                .refresh_metrics(tenant, &event)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(())
    }

    async fn check(&mut self, fixture: &mut Fixture) -> anyhow::Result<()> {
        let computed = fixture.services.metrics.computations() - self.computations;
        match self.metrics {
            Metrics::Cached => anyhow::ensure!(computed == 0, "the cached metrics were computed again"),
            Metrics::Dropped => anyhow::ensure!(computed == 1, "metrics computed {computed} times, not once"),
            Metrics::Any => {}
        }
        Ok(())
    }
}
