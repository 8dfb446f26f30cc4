//! The admission decision: is this ticket let in (or out) at this gate, now? The rules
//! are plain functions on plain data (`rules.rs`, unit-tested); `queries.rs` loads what
//! they need and stores what they decided; `moves.rs` changes who is inside, under the
//! event's entry policy.

mod moves;
mod queries;
pub mod rules;

use std::collections::{HashMap, HashSet};

use diesel::QueryResult;

use crate::db::{DbConnection, Tenant};
use crate::scanning::model::{GateDevice, Reason, RecordedScan, ScanAttempt};
use rules::Slot;

/// Decides and records a device's batch, in order; a scan id this device sent before
/// gets its first answer again, unless it came with another ticket code (a conflict,
/// recorded nothing). What can be read up front (earlier answers, the
/// tickets, the gate's allowed types, the event's entry rules) is read once per batch
/// (the last two once per transaction: `record_in_group`) and the new scans are written with one multi-row INSERT; the tickets move in one or two conditional
/// UPDATEs. Call inside a write transaction.
pub fn record_batch(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempts: &[ScanAttempt],
) -> QueryResult<Vec<RecordedScan>> {
    record_in_group(conn, tenant, device, attempts, &mut GroupReads::default())
}

/// What the batches of one transaction share: each gate's allowed ticket types and
/// each event's entry rules, read once per transaction, and which devices were marked
/// seen (the writer changes neither, so
/// a batch decided later in it would read the same), so a group of many devices' small
/// batches at a few gates reads them a few times, not once per batch.
#[derive(Default)]
pub struct GroupReads {
    allowed: HashMap<i64, Vec<i64>>,
    entry: HashMap<i64, rules::EntryRules>,
    /// Devices marked seen in this transaction.
    seen: HashSet<i64>,
}

impl GroupReads {
    /// True the first time the transaction meets this device.
    pub fn first_from(&mut self, device_id: i64) -> bool {
        self.seen.insert(device_id)
    }
}

/// `record_batch` as one batch of a group, sharing `reads` with the group's others
/// (within one transaction only).
pub fn record_in_group(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempts: &[ScanAttempt],
    reads: &mut GroupReads,
) -> QueryResult<Vec<RecordedScan>> {
    let earlier = queries::previous_answers(conn, device, attempts)?;
    let tickets = queries::tickets_by_code(conn, tenant, attempts)?;
    if let std::collections::hash_map::Entry::Vacant(gate) = reads.allowed.entry(device.gate_id) {
        gate.insert(queries::allowed_ticket_types(conn, tenant, device.gate_id)?);
    }
    let entry = match reads.entry.get(&device.event_id) {
        Some(entry) => *entry,
        None => {
            let entry = queries::entry_rules(conn, tenant, device.event_id)?;
            *reads.entry.entry(device.event_id).or_insert(entry)
        }
    };
    let allowed = reads.allowed.get(&device.gate_id).map_or(&[][..], Vec::as_slice);
    let (slots, new) = rules::plan(attempts, &earlier);
    let checked = new
        .into_iter()
        .map(|attempt| {
            let ticket = tickets.get(&attempt.ticket_code);
            (attempt, rules::precheck(device, ticket, allowed))
        })
        .collect();
    let decided = moves::move_tickets(conn, device, &entry, checked)?;
    let ids = queries::insert_scans(conn, tenant, device, &decided)?;
    Ok(slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Earlier(previous) => previous,
            Slot::Conflict => RecordedScan::conflict(),
            Slot::New { index, repeated } => {
                let (attempt, decision) = &decided[index];
                RecordedScan {
                    scan_id: ids.get(attempt.device_scan_id.as_str()).copied().unwrap_or_default(),
                    result: decision.result,
                    reason: decision.reason.as_ref().map(Reason::message),
                    admitted: decision.admitted().cloned(),
                    replayed: repeated,
                    conflict: false,
                }
            }
        })
        .collect())
}
