//! Changes that give a live view something new to show, made outside the measured
//! window and published to nobody: a hub view sends nothing when its bytes did not
//! change, so each render case changes its data first, then publishes the one update
//! whose render it measures.

use std::sync::Arc;

use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::fixture::{attempt, Fixture};
use voelgoed::db::{self, ConnectionManager};
use voelgoed::gate_alerts::{self, AlertKind, Finding};
use voelgoed::live::InProcessBus;
use voelgoed::orders::{place_order, NewOrder, OrderItem};
use voelgoed::scanning::{self, DeviceReport, Heartbeat, Publisher, ScanFeed, ScanWriter};

pub enum Change {
    /// One ticket sold (`place_order`, which publishes nothing).
    Sale,
    /// The device reports a lower battery (through a bus nobody listens to).
    Heartbeat,
    /// One fresh ticket scanned in through a writer of its own, which counts the scan
    /// in the server's live counters and publishes to nobody.
    Scan(Box<QuietWriter>),
    /// Another gate alert is the open one (put there, not found by the detector).
    Alert,
}

impl Change {
    pub async fn make(&mut self, fixture: &mut Fixture, run: usize) -> anyhow::Result<()> {
        match self {
            Change::Sale => sell_one(fixture).await,
            Change::Heartbeat => heartbeat(fixture, run).await,
            Change::Scan(writer) => writer.scan_one(fixture, run).await,
            Change::Alert => open_alert(fixture, run).await,
        }
    }
}

/// A blocking database job on the fixture's pool.
async fn on_db<T: Send + 'static>(
    fixture: &Fixture,
    job: impl FnOnce(&mut db::DbConnection) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let pool = fixture.pool();
    tokio::task::spawn_blocking(move || job(&mut *pool.get()?)).await?
}

pub async fn sell_one(fixture: &Fixture) -> anyhow::Result<()> {
    let (tenant, event_id, type_id) = (fixture.tenant, fixture.event_id, fixture.type_id);
    on_db(fixture, move |conn| {
        let order = NewOrder {
            event_id,
            buyer_name: "Cost Buyer".into(),
            buyer_email: "cost@example.test".into(),
            items: vec![OrderItem {
                ticket_type_id: type_id,
                quantity: 1,
            }],
            created_at: db::now_ms(),
        };
        anyhow::ensure!(place_order(conn, &tenant, &order)?.is_some(), "sold out");
        Ok(())
    })
    .await
}

async fn heartbeat(fixture: &Fixture, run: usize) -> anyhow::Result<()> {
    let (tenant, device) = (fixture.tenant, fixture.device);
    let report = DeviceReport {
        battery: Some(90 - run as i32),
        pending_uploads: Some(0),
        app_version: Some("cost".into()),
    };
    on_db(fixture, move |conn| {
        let beat = Heartbeat {
            device_id: device.device_id,
            report,
        };
        let nobody = InProcessBus::new();
        Ok(scanning::record_heartbeats(
            conn,
            &nobody,
            &tenant,
            device.event_id,
            &[beat],
            db::now_ms(),
        )?)
    })
    .await
}

/// The last run's alert closes and a new one opens: the list always shows one.
async fn open_alert(fixture: &Fixture, run: usize) -> anyhow::Result<()> {
    let (tenant, event_id) = (fixture.tenant, fixture.event_id);
    let finding = Finding {
        kind: AlertKind::LowBattery,
        gate_id: fixture.device.gate_id,
        device_id: Some(fixture.device.device_id),
        subject: format!("cost-{run:03}"),
        detail: "Battery at 5 %".into(),
    };
    on_db(fixture, move |conn| {
        Ok(gate_alerts::replace_open_alerts(
            conn,
            &tenant,
            event_id,
            &finding,
            db::now_ms(),
        )?)
    })
    .await
}

/// A scan writer of its own on the fixture's database, publishing into the server's
/// live counters but to no bus and into a scan-log feed nobody else reads.
pub struct QuietWriter {
    writer: ScanWriter,
    rows: BoxStream<'static, usize>,
}

impl QuietWriter {
    pub async fn start(fixture: &Fixture) -> anyhow::Result<Self> {
        let counters = fixture.services.scan_counters.clone().into_inner();
        let feed = Arc::new(ScanFeed::new(0));
        let rows = super::scans::scan_log_rows(&feed, fixture.tenant.organization_id(), fixture.event_id).await;
        let publisher = Publisher::start(
            fixture.pool(),
            counters,
            Arc::new(InProcessBus::new()),
            feed,
            voelgoed::monitor::draw_log_row,
        );
        let timeout = fixture.services.settings.database_limits.statement_timeout;
        let connections = ConnectionManager::new(&fixture.url, timeout);
        let writer = ScanWriter::start(connections, publisher, Default::default());
        Ok(Self { writer, rows })
    }

    /// Scans one fresh ticket in, and waits for its scan-log row, rendered after the
    /// answer, so that nothing of it runs on into the window.
    async fn scan_one(&mut self, fixture: &mut Fixture, run: usize) -> anyhow::Result<()> {
        let code = fixture.fresh_codes(1)?.remove(0);
        let scan = attempt(format!("quiet-{run:03}"), code, db::now_ms());
        self.writer
            .record_scans(fixture.tenant, fixture.device, vec![scan])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        self.rows
            .next()
            .await
            .map(drop)
            .ok_or_else(|| anyhow::anyhow!("no scan-log row"))
    }
}
