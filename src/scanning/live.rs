//! What a committed scan group sets in motion: the counters count it, the scan log gets
//! its rendered rows, and the bus carries one update per channel touched, however many
//! scans the group held (the hub coalesces further).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::counters::{CountedScan, ScanCounters};
use super::feed::{LogLine, Position, ScanFeed};
use super::model::{Direction, ScanResult};
use super::queries::{self, DeviceLabel, ScanLine};
use super::views;
use super::writer::{CommittedBatch, OnCommit};
use crate::db::{self, Pool, Tenant};
use crate::live::{Bus, Channel, Update, UpdateKind};

/// New scans of one device, for the scan log.
pub struct FreshScans {
    tenant: Tenant,
    event_id: i64,
    device_id: i64,
    scans: Vec<(i64, i64, Direction, ScanResult, Option<String>)>,
}

/// Groups of new rows waiting to be rendered; past this the writer does not wait (it
/// never waits for a page's work): the event's log is forgotten instead and its open
/// monitors reconnect and redraw from the database.
pub const ROWS_WAITING: usize = 1_024;

pub fn on_commit(
    counters: Arc<dyn ScanCounters>,
    bus: Arc<dyn Bus>,
    feed: Arc<ScanFeed>,
    rows: mpsc::Sender<FreshScans>,
) -> OnCommit {
    Arc::new(move |batches: &[CommittedBatch]| {
        let (mut scans_of, mut occupancy_of) = (HashSet::new(), HashSet::new());
        let mut counted = Vec::new();
        for batch in batches {
            let fresh: Vec<_> = batch
                .answers
                .iter()
                .zip(&batch.scans)
                .filter(|(answer, _)| !answer.replayed)
                .collect();
            if fresh.is_empty() {
                continue;
            }
            let device = batch.device;
            counted.extend(fresh.iter().map(|(answer, scan)| CountedScan {
                scan_id: answer.scan_id,
                organization_id: batch.tenant.organization_id(),
                event_id: device.event_id,
                gate_id: device.gate_id,
                device_id: device.device_id,
                result: answer.result,
                direction: scan.direction,
                scanned_at: scan.scanned_at,
            }));
            let event = (batch.tenant, device.event_id);
            scans_of.insert(event);
            if fresh.iter().any(|(answer, _)| answer.result == ScanResult::Valid) {
                occupancy_of.insert(event);
            }
            let newest = fresh.iter().map(|(answer, _)| answer.scan_id).max().unwrap_or_default();
            let sent = rows.try_send(FreshScans {
                tenant: batch.tenant,
                event_id: device.event_id,
                device_id: device.device_id,
                scans: fresh
                    .iter()
                    .map(|(a, s)| (a.scan_id, s.scanned_at, s.direction, a.result, a.reason.clone()))
                    .collect(),
            });
            if let Err(mpsc::error::TrySendError::Full(_)) = sent {
                tracing::warn!(event_id = device.event_id, "scan-log rows fell behind; monitors redraw");
                feed.forget(batch.tenant.organization_id(), device.event_id, newest);
            }
        }
        // One round trip for the whole group when the counters are shared.
        if !counted.is_empty() {
            counters.record(&counted);
        }
        for (tenant, event_id) in scans_of {
            bus.publish(Update {
                channel: Channel::scans(&tenant, event_id),
                kind: UpdateKind::ScanOccurred,
            });
        }
        for (tenant, event_id) in occupancy_of {
            bus.publish(Update {
                channel: Channel::occupancy(&tenant, event_id),
                kind: UpdateKind::ScanOccurred,
            });
        }
    })
}

/// Renders each new scan's log row once and hands it to the feed. Device names and the
/// event's timezone are looked up once per device.
pub async fn render_log_rows(pool: Pool, feed: Arc<ScanFeed>, mut fresh: mpsc::Receiver<FreshScans>) {
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
        let lines = group
            .scans
            .into_iter()
            .map(|(scan_id, scanned_at, direction, result, reason)| {
                let line = ScanLine {
                    id: scan_id,
                    scanned_at,
                    gate: label.gate.clone(),
                    device: label.device.clone(),
                    direction: direction.as_str().to_owned(),
                    result: result.as_str().to_owned(),
                    reason,
                };
                LogLine {
                    // Placed in the log by the feed.
                    position: Position::Scan(scan_id),
                    scan_id,
                    gate_id: label.gate_id,
                    device_id: group.device_id,
                    result,
                    html: views::scan_row(&line, &label.timezone).into_string().into(),
                }
            })
            .collect();
        feed.push(group.tenant.organization_id(), group.event_id, lines).await;
    }
}
