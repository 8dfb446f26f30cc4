//! What a committed scan group tells the rest of the app: one update per channel touched,
//! however many scans the group held (the hub coalesces further).

use std::collections::HashSet;
use std::sync::Arc;

use super::decision::{Direction, ScanResult};
use super::writer::{CommittedBatch, OnCommit};
use crate::live::{Bus, Channel, Update, UpdateKind};

pub fn on_commit(bus: Arc<dyn Bus>) -> OnCommit {
    Arc::new(move |batches: &[CommittedBatch]| {
        let mut scans_of = HashSet::new();
        let mut occupancy_of = HashSet::new();
        for batch in batches {
            let event = (batch.tenant, batch.device.event_id);
            scans_of.insert(event);
            let moved = batch
                .answers
                .iter()
                .zip(&batch.scans)
                .any(|(answer, scan)| {
                    !answer.replayed
                        && answer.result == ScanResult::Valid
                        && matches!(scan.direction, Direction::In | Direction::Out)
                });
            if moved {
                occupancy_of.insert(event);
            }
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
