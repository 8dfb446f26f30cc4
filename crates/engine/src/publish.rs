//! What a committed scan group sets in motion: the counters count it, the scan log gets
//! its rendered rows, and the bus carries one update per channel touched, however many
//! scans the group held (the hub coalesces further). Told by the writer after each
//! commit and before any device is answered.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::counters::{CountedScan, ScanCounters};
use super::feed::rows::{self, DrawRow, FreshScan, FreshScans};
use super::feed::ScanFeed;
use super::model::{GateDevice, RecordedScan, ScanAttempt, ScanResult};
use crate::db::{Pool, Tenant};
use crate::live::{Bus, Channel, Update, UpdateKind};

/// Groups of new rows waiting to be rendered; past this the writer does not wait (it
/// never waits for a page's work): the event's log is forgotten instead and its open
/// monitors reconnect and redraw from the database.
const ROWS_WAITING: usize = 1_024;

/// One device's batch, as it was committed.
pub struct CommittedBatch {
    pub tenant: Tenant,
    pub device: GateDevice,
    pub scans: Vec<ScanAttempt>,
    pub answers: Vec<RecordedScan>,
}
/// Everything a commit is published to.
pub struct Publisher {
    counters: Arc<dyn ScanCounters>,
    bus: Arc<dyn Bus>,
    feed: Arc<ScanFeed>,
    rows: mpsc::Sender<FreshScans>,
    decisions: Arc<Decisions>,
}

/// Scans decided since the start, by result; a replayed scan is not counted again.
#[derive(Default)]
pub struct Decisions([AtomicU64; 3]);

impl Decisions {
    pub fn of(&self, result: ScanResult) -> u64 {
        self.0[result as usize].load(Ordering::Relaxed)
    }

    fn add(&self, group: [u64; 3]) {
        for (counter, n) in self.0.iter().zip(group) {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
}

impl Publisher {
    /// Starts the scan-log renderer too (its labels are read from `pool`; `draw_row`
    /// draws each new row once).
    pub fn start(
        pool: Pool,
        counters: Arc<dyn ScanCounters>,
        bus: Arc<dyn Bus>,
        feed: Arc<ScanFeed>,
        draw_row: DrawRow,
    ) -> Self {
        let (rows, fresh) = mpsc::channel(ROWS_WAITING);
        tokio::spawn(rows::render(pool, feed.clone(), fresh, draw_row));
        Self {
            counters,
            bus,
            feed,
            rows,
            decisions: Arc::default(),
        }
    }

    /// What the scans it published were decided.
    pub fn decisions(&self) -> Arc<Decisions> {
        self.decisions.clone()
    }

    /// Publishes a committed group; scans answered before (replays) changed nothing.
    pub fn committed(&self, batches: &[CommittedBatch]) {
        let (mut scans_of, mut occupancy_of) = (HashSet::new(), HashSet::new());
        let mut counted = Vec::new();
        let mut decided = [0; 3];
        for batch in batches {
            // The scan log's rows, and who each valid one moved where (for the counters).
            let (fresh, moves): (Vec<FreshScan>, Vec<_>) = batch
                .answers
                .iter()
                .zip(&batch.scans)
                .filter(|(answer, _)| !answer.replayed)
                .map(|(answer, scan)| (fresh_scan(answer, scan), answer.moved))
                .unzip();
            if fresh.is_empty() {
                continue;
            }
            fresh.iter().for_each(|scan| decided[scan.result as usize] += 1);
            let device = batch.device;
            counted.extend(fresh.iter().zip(moves).map(|(scan, moved)| CountedScan {
                scan_id: scan.scan_id,
                organization_id: batch.tenant.organization_id(),
                event_id: device.event_id,
                gate_id: device.gate_id,
                device_id: device.device_id,
                result: scan.result,
                direction: scan.direction,
                scanned_at: scan.scanned_at,
                moved,
            }));
            let event = (batch.tenant, device.event_id);
            scans_of.insert(event);
            if fresh.iter().any(|scan| scan.result == ScanResult::Valid) {
                occupancy_of.insert(event);
            }
            self.queue_rows(batch, fresh);
        }
        self.decisions.add(decided);
        // One round trip for the whole group when the counters are shared.
        if !counted.is_empty() {
            self.counters.record(&counted);
        }
        self.announce(scans_of, Channel::scans);
        self.announce(occupancy_of, Channel::occupancy);
    }

    /// Hands the batch's new rows to the renderer, or makes monitors redraw when it is
    /// too far behind.
    fn queue_rows(&self, batch: &CommittedBatch, scans: Vec<FreshScan>) {
        let (tenant, device) = (batch.tenant, batch.device);
        let newest = scans.iter().map(|scan| scan.scan_id).max().unwrap_or_default();
        let sent = self.rows.try_send(FreshScans {
            tenant,
            event_id: device.event_id,
            device_id: device.device_id,
            scans,
        });
        if let Err(mpsc::error::TrySendError::Full(_)) = sent {
            tracing::warn!(event_id = device.event_id, "scan-log rows fell behind; monitors redraw");
            self.feed.forget(tenant.organization_id(), device.event_id, newest);
        }
    }

    fn announce(&self, events: HashSet<(Tenant, i64)>, channel: fn(&Tenant, i64) -> Channel) {
        for (tenant, event_id) in events {
            self.bus.publish(Update {
                channel: channel(&tenant, event_id),
                kind: UpdateKind::ScanOccurred,
            });
        }
    }
}

fn fresh_scan(answer: &super::model::RecordedScan, scan: &ScanAttempt) -> FreshScan {
    FreshScan {
        scan_id: answer.scan_id,
        scanned_at: scan.scanned_at,
        direction: scan.direction,
        result: answer.result,
        reason: answer.reason.clone(),
    }
}
