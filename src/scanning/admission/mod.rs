//! The admission decision: is this ticket let in (or out) at this gate, now? The rules
//! are plain functions on plain data (`rules.rs`, unit-tested); `queries.rs` loads what
//! they need and stores what they decided; `moves.rs` changes who is inside, under the
//! event's entry policy.

mod moves;
mod queries;
pub mod rules;

use diesel::QueryResult;

use crate::db::{DbConnection, Tenant};
use crate::scanning::model::{GateDevice, Reason, RecordedScan, ScanAttempt};
use rules::Slot;

/// Decides and records a device's batch, in order; a scan id this device sent before
/// gets its first answer again, unless it came with another ticket code (a conflict,
/// recorded nothing). What can be read up front (earlier answers, the
/// tickets, the gate's allowed types, the event's entry rules) is read once per batch
/// and the new scans are written with one multi-row INSERT; the tickets move in one or two conditional
/// UPDATEs. Call inside a write transaction.
pub fn record_batch(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempts: &[ScanAttempt],
) -> QueryResult<Vec<RecordedScan>> {
    let earlier = queries::previous_answers(conn, device, attempts)?;
    let tickets = queries::tickets_by_code(conn, tenant, attempts)?;
    let allowed = queries::allowed_ticket_types(conn, tenant, device.gate_id)?;
    let entry = queries::entry_rules(conn, tenant, device.event_id)?;
    let (slots, new) = rules::plan(attempts, &earlier);
    let checked = new
        .into_iter()
        .map(|attempt| {
            let ticket = tickets.get(&attempt.ticket_code);
            (attempt, rules::precheck(device, ticket, &allowed))
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
