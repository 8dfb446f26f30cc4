//! `scan-batch-1` and `scan-batch-500`: one `POST /api/v1/scans` of fresh, valid
//! tickets, decided and committed by the writer thread, counted and published, and
//! its rows rendered into the scan-log feed (which happens after the answer: the
//! window waits for it). `scan-batch-1-zoned`: the same at a gate that leads from
//! outside into a zone, each scan moving its holder into the zone.

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio_stream::wrappers::{errors::BroadcastStreamRecvError, BroadcastStream};

use super::fixture::Fixture;
use super::http::{post_json, Connection};
use super::window::Operation;

pub struct ScanBatch {
    size: usize,
    connection: Connection,
    request: Vec<u8>,
    answer: actix_web::web::Bytes,
    /// How many of the event's scan-log rows arrived, as a monitor gets them.
    rows: BoxStream<'static, usize>,
}

/// Gives the event a zone (the arena) and makes the device's gate its way in, through
/// the library's own set-up (as an owner's form would).
pub fn zone_the_gate(fixture: &Fixture) -> anyhow::Result<()> {
    use voelgoed::domain::WhenFull;
    use voelgoed::zones::{model::ZoneSettings, setup};
    let (tenant, event, gate) = (fixture.tenant, fixture.event_id, fixture.device.gate_id);
    let arena = ZoneSettings::new("Arena", 1_000_000, WhenFull::Warn, Vec::new()).map_err(anyhow::Error::msg)?;
    let mut conn = fixture.pool().get()?;
    let arena = setup::save_zone(&mut conn, &tenant, None, event, None, &arena)?;
    setup::set_passage(&mut conn, &tenant, None, event, gate, Some((None, arena)))?;
    Ok(())
}

impl ScanBatch {
    pub async fn new(fixture: &Fixture, size: usize) -> anyhow::Result<Self> {
        let organization = fixture.tenant.organization_id();
        let rows = scan_log_rows(fixture.services.scan_feed.get_ref(), organization, fixture.event_id).await;
        Ok(Self {
            size,
            connection: Connection::open(fixture.address).await?,
            request: Vec::new(),
            answer: Default::default(),
            rows,
        })
    }

    /// Until the feed has had `self.size` rows.
    async fn rows_rendered(&mut self) -> anyhow::Result<()> {
        let mut seen = 0;
        while seen < self.size {
            seen += self
                .rows
                .next()
                .await
                .ok_or_else(|| anyhow::anyhow!("the scan feed closed"))?;
        }
        Ok(())
    }
}

/// The number of rows in each arrival of an event's scan-log feed (a receiver holds 256
/// rows, and nobody reads it until the answer has come: the rows it skipped count too).
pub async fn scan_log_rows(
    feed: &voelgoed::scanning::ScanFeed,
    organization_id: i64,
    event_id: i64,
) -> BoxStream<'static, usize> {
    let (_, rows) = feed.subscribe(organization_id, event_id, None).await;
    BroadcastStream::new(rows)
        .map(|row| match row {
            Ok(_) => 1,
            Err(BroadcastStreamRecvError::Lagged(skipped)) => skipped as usize,
        })
        .boxed()
}

impl Operation for ScanBatch {
    /// A batch of fresh tickets, and the device's token proven a moment ago (as for a
    /// scanner posting several times a second), so the window never holds the token
    /// lookup of a cache entry that ran out while valgrind was slow.
    async fn prepare(&mut self, fixture: &mut Fixture, run: usize) -> anyhow::Result<()> {
        let scanned_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let scans: Vec<serde_json::Value> = fixture
            .fresh_codes(self.size)?
            .into_iter()
            .enumerate()
            .map(|(i, code)| {
                let id = format!("cost-{}-{run:03}-{i:03}", self.size);
                serde_json::json!({ "id": id, "ticket_code": code, "direction": "in", "scanned_at": scanned_at })
            })
            .collect();
        let body = serde_json::json!({ "scans": scans }).to_string();
        self.request = post_json("/api/v1/scans", &fixture.device_token, &body);
        let hash = voelgoed::auth::token_hash(&fixture.device_token);
        // Proven before the measured request, as a device posting every few seconds is.
        let known = std::iter::once((hash, (fixture.tenant, fixture.device))).collect();
        fixture.services.device_tokens.replace(known);
        Ok(())
    }

    async fn run(&mut self, _fixture: &mut Fixture, _run: usize) -> anyhow::Result<()> {
        self.answer = self.connection.send(&self.request).await?;
        self.rows_rendered().await
    }

    /// Every scan was admitted.
    async fn check(&mut self, _fixture: &mut Fixture) -> anyhow::Result<()> {
        let answer: serde_json::Value = serde_json::from_slice(&self.answer)?;
        let valid = answer["results"]
            .as_array()
            .map_or(0, |r| r.iter().filter(|a| a["result"] == "valid").count());
        anyhow::ensure!(valid == self.size, "{valid} of {} scans were valid", self.size);
        Ok(())
    }
}
