//! The admission decision: is this ticket let in (or out) at this gate, now? The rules
//! are plain functions on plain data (`rules.rs`, unit-tested); `reads.rs` loads what
//! they need, `queries.rs` stores what they decided, and `moves.rs` changes who is
//! inside, under each event's entry policy.
//!
//! The writer decides a whole group of batches (many devices' requests) in one
//! transaction with a fixed number of statements, whatever the group's size: a
//! database a network hop away then costs a few round trips per group, not a few per
//! device's request.

mod by_keys;
mod moves;
mod queries;
mod reads;
pub mod rules;
mod scan_inserts;
mod scan_rows;
pub mod zone_rules;
mod zones;

use diesel::QueryResult;

use crate::db::{self, DbConnection, Tenant};
use crate::model::{GateDevice, Reason, RecordedScan, ScanAttempt};
use moves::ToMove;
use reads::GroupReads;
use rules::EntryRules;
use rules::{Decision, Slot};
use zones::ZonedMove;

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
    let (mut moving, mut owners) = (Moving::default(), Vec::new());
    for batch in batches {
        let (slots, new) = rules::plan(batch.attempts, reads.earlier(batch.device.device_id));
        let (tenant, device) = (batch.tenant, batch.device);
        let (allowed, entry) = (
            reads.allowed(tenant, device.gate_id),
            reads.entry_rules(tenant, device.event_id)?,
        );
        planned.push(Planned {
            slots,
            first_new: owners.len(),
        });
        for attempt in new {
            let ticket = reads.ticket(tenant, &attempt.ticket_code);
            let check = rules::precheck(device, ticket, allowed);
            moving.add(attempt, check, device.gate_id, entry, ticket.map(|t| t.ticket_type_id));
            owners.push((*batch, attempt));
        }
    }
    let new: Vec<NewScan> = moving
        .decide(conn)?
        .into_iter()
        .zip(owners)
        .map(|(decision, (batch, attempt))| NewScan {
            batch,
            attempt,
            decision,
        })
        .collect();
    let ids = scan_inserts::insert_scans(conn, &new)?;
    Ok(planned.into_iter().map(|plan| answers(plan, &new, &ids)).collect())
}

/// A group's new scans on their way to a decision: those at events without zones move
/// together (`moves.rs`), those at events with zones one by one (`zones.rs`).
#[derive(Default)]
struct Moving<'a> {
    plain: Vec<ToMove<'a>>,
    zoned: Vec<ZonedMove<'a>>,
    /// For each scan in order: whether it is zoned.
    zoned_at: Vec<bool>,
}

impl<'a> Moving<'a> {
    fn add(
        &mut self,
        attempt: &'a ScanAttempt,
        check: rules::Checked,
        gate_id: i64,
        entry: EntryRules,
        ticket_type_id: Option<i64>,
    ) {
        self.zoned_at.push(entry.zones.is_some());
        match entry.zones {
            Some(mismatch) => self.zoned.push(ZonedMove {
                attempt,
                check,
                gate_id,
                ticket_type_id: ticket_type_id.unwrap_or_default(),
                entry,
                mismatch,
            }),
            None => self.plain.push(ToMove {
                attempt,
                check,
                gate_id,
                entry,
            }),
        }
    }

    /// The decisions, in the order the scans were added.
    fn decide(self, conn: &mut DbConnection) -> QueryResult<Vec<Decision>> {
        let zoned = match self.zoned.is_empty() {
            true => Vec::new(),
            false => zones::move_tickets(conn, &self.zoned)?,
        };
        let plain = moves::move_tickets(conn, self.plain)?;
        let (mut zoned, mut plain) = (zoned.into_iter(), plain.into_iter());
        Ok(self
            .zoned_at
            .into_iter()
            .filter_map(|is_zoned| match is_zoned {
                true => zoned.next(),
                false => plain.next(),
            })
            .collect())
    }
}

/// A batch's answers in its order: earlier ones replayed, conflicts refused, new ones
/// as decided (with the id they were stored under).
fn answers(plan: Planned, new: &[NewScan], ids: &scan_inserts::ScanIds) -> Vec<RecordedScan> {
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
                    moved: scan.decision.moved,
                }
            }
        })
        .collect()
}
