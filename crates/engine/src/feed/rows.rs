//! The scan log's new rows: each new scan's row is drawn once, off the writer thread,
//! and handed to the feed, which sends the same bytes to every open monitor. Device
//! names and the event's timezone are looked up once per device. The engine holds no
//! markup: the screen that shows the log gives the drawing (`DrawRow`) at startup.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use chrono_tz::Tz;

use super::{LogLine, Position, ScanFeed};
use crate::db::{self, Pool, Tenant};
use crate::model::{Direction, ScanResult};
use crate::queries::{self, DeviceLabel, ScanLine};

/// Draws one scan-log row as HTML, in the event's time zone.
pub type DrawRow = fn(&ScanLine, &Tz) -> String;

/// One new scan, as the log shows it.
pub struct FreshScan {
    pub scan_id: i64,
    pub scanned_at: i64,
    pub direction: Direction,
    pub result: ScanResult,
    pub reason: Option<String>,
}

/// New scans of one device, for the scan log.
pub struct FreshScans {
    pub tenant: Tenant,
    pub event_id: i64,
    pub device_id: i64,
    pub scans: Vec<FreshScan>,
}

/// Renders every group it is handed until the writer is gone.
pub async fn render(pool: Pool, feed: Arc<ScanFeed>, mut fresh: mpsc::Receiver<FreshScans>, draw: DrawRow) {
    let mut labels: HashMap<i64, DeviceLabel> = HashMap::new();
    while let Some(group) = fresh.recv().await {
        if !labels.contains_key(&group.device_id) {
            let (tenant, device_id) = (group.tenant, group.device_id);
            match db::run(&pool, move |conn| Ok(queries::device_label(conn, &tenant, device_id)?)).await {
                Ok(label) => {
                    labels.insert(device_id, label);
                }
                Err(e) => {
                    tracing::warn!(error = %e, device_id, "cannot label scan-log rows");
                    continue;
                }
            }
        }
        let Some(label) = labels.get(&group.device_id) else {
            continue;
        };
        let device_id = group.device_id;
        let lines = group
            .scans
            .into_iter()
            .map(|scan| log_line(scan, label, device_id, draw))
            .collect();
        feed.push(group.tenant.organization_id(), group.event_id, lines).await;
    }
}

fn log_line(scan: FreshScan, label: &DeviceLabel, device_id: i64, draw: DrawRow) -> LogLine {
    let line = ScanLine {
        id: scan.scan_id,
        scanned_at: scan.scanned_at,
        gate: label.gate.clone(),
        device: label.device.clone(),
        direction: scan.direction,
        result: scan.result,
        reason: scan.reason,
    };
    LogLine {
        // Placed in the log by the feed.
        position: Position::Scan(scan.scan_id),
        scan_id: scan.scan_id,
        gate_id: label.gate_id,
        device_id,
        result: scan.result,
        html: draw(&line, &label.timezone).into(),
    }
}
