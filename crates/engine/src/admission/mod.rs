//! The admission decision: is this ticket let in (or out) at this gate, now? The rules
//! are plain functions on plain data (`rules.rs`, unit-tested); `reads.rs` loads what
//! they need, `queries.rs` stores what they decided, and `moves.rs` changes who is
//! inside, under each event's entry policy.
//!
//! The writer decides a whole group of batches (many devices' requests) in one
//! transaction with a fixed number of statements, whatever the group's size: a
//! database a network hop away then costs a few round trips per group, not a few per
//! device's request.

mod moves;
mod queries;
mod reads;
pub mod rules;

use diesel::QueryResult;

use crate::db::{self, DbConnection, Tenant};
use crate::model::{GateDevice, Reason, RecordedScan, ScanAttempt};
use moves::ToMove;
use reads::GroupReads;
use rules::{Decision, Slot};

/// One device's request: its tenant, the device (with its gate and event) and its scans.
#[derive(Clone, Copy)]
pub struct DeviceBatch<'a> {
    pub tenant: &'a Tenant,
    pub device: GateDevice,
    pub attempts: &'a [ScanAttempt],
}

/// A new scan, decided, to be stored.
pub struct NewScan<'a> {
    batch: DeviceBatch<'a>,
    attempt: &'a ScanAttempt,
    decision: Decision,
}

/// Decides and records one device's batch (`record_group` of one). Call inside a
/// write transaction.
pub fn record_batch(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempts: &[ScanAttempt],
) -> QueryResult<Vec<RecordedScan>> {
    let batch = DeviceBatch {
        tenant,
        device,
        attempts,
    };
    Ok(record_group(conn, &[batch])?.pop().unwrap_or_default())
}

/// Decides and records a group of batches in order, each scan's answer in its batch's
/// order; a scan id a device sent before gets its first answer again, unless it came
/// with another ticket code (a conflict, recorded nothing). Batches that share a
/// ticket or a device's scan id are decided one after the other, each seeing the one
/// before; all others together. Marks the group's devices seen. Call inside a write
/// transaction.
pub fn record_group(conn: &mut DbConnection, batches: &[DeviceBatch]) -> QueryResult<Vec<Vec<RecordedScan>>> {
    let apart = || rules::batches_apart(batches.iter().map(|batch| (batch.device.device_id, batch.attempts)));
    if batches.len() > 1 && !apart() {
        return batches
            .iter()
            .map(|batch| {
                Ok(record_together(conn, std::slice::from_ref(batch))?
                    .pop()
                    .unwrap_or_default())
            })
            .collect();
    }
    record_together(conn, batches)
}

/// Where each batch's answers come from, and where its new scans start among the group's.
struct Planned {
    slots: Vec<Slot<RecordedScan>>,
    first_new: usize,
}

/// Decides batches that do not depend on each other: one read of everything they need,
/// the tickets moved in one or two conditional UPDATEs, the new scans in one INSERT.
fn record_together(conn: &mut DbConnection, batches: &[DeviceBatch]) -> QueryResult<Vec<Vec<RecordedScan>>> {
    let mut devices: Vec<i64> = batches.iter().map(|batch| batch.device.device_id).collect();
    devices.sort_unstable();
    devices.dedup();
    queries::mark_devices_seen(conn, &devices, db::now_ms())?;
    let reads = GroupReads::load(conn, batches)?;
    let mut planned = Vec::with_capacity(batches.len());
    let (mut to_move, mut owners) = (Vec::new(), Vec::new());
    for batch in batches {
        let (slots, new) = rules::plan(batch.attempts, reads.earlier(batch.device.device_id));
        let (tenant, device) = (batch.tenant, batch.device);
        let (allowed, entry) = (
            reads.allowed(tenant, device.gate_id),
            reads.entry_rules(tenant, device.event_id)?,
        );
        planned.push(Planned {
            slots,
            first_new: to_move.len(),
        });
        for attempt in new {
            let check = rules::precheck(device, reads.ticket(tenant, &attempt.ticket_code), allowed);
            to_move.push(ToMove {
                attempt,
                check,
                gate_id: device.gate_id,
                entry,
            });
            owners.push(*batch);
        }
    }
    let attempts: Vec<&ScanAttempt> = to_move.iter().map(|scan| scan.attempt).collect();
    let new: Vec<NewScan> = moves::move_tickets(conn, to_move)?
        .into_iter()
        .zip(owners.into_iter().zip(attempts))
        .map(|(decision, (batch, attempt))| NewScan {
            batch,
            attempt,
            decision,
        })
        .collect();
    let ids = queries::insert_scans(conn, &new)?;
    Ok(planned.into_iter().map(|plan| answers(plan, &new, &ids)).collect())
}

/// A batch's answers in its order: earlier ones replayed, conflicts refused, new ones
/// as decided (with the id they were stored under).
fn answers(plan: Planned, new: &[NewScan], ids: &queries::ScanIds) -> Vec<RecordedScan> {
    plan.slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Earlier(previous) => previous,
            Slot::Conflict => RecordedScan::conflict(),
            Slot::New { index, repeated } => {
                let scan = &new[plan.first_new + index];
                let of_device = ids.get(&scan.batch.device.device_id);
                let scan_id = of_device.and_then(|ids| ids.get(scan.attempt.device_scan_id.as_str()));
                RecordedScan {
                    scan_id: scan_id.copied().unwrap_or_default(),
                    result: scan.decision.result,
                    reason: scan.decision.reason.as_ref().map(Reason::message),
                    admitted: scan.decision.admitted().cloned(),
                    replayed: repeated,
                    conflict: false,
                }
            }
        })
        .collect()
}
