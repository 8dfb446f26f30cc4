//! Scans a scanner decided from its offline copy and uploads later carry what it decided
//! (`decided_offline`). The server's decision stands; where it differs, the scan is
//! written down as an offline conflict (rarely, after the answer, off the writer), from
//! which the gate-alert detector opens an alert on the monitor. A resent upload is
//! written down once.

use diesel::prelude::*;

use crate::db::schema::offline_conflicts;
use crate::db::{DbConnection, Tenant};
use crate::model::{GateDevice, RecordedScan, ScanResult};
use crate::with_backend;

/// A scan the server answered otherwise than the scanner had decided offline.
pub struct OfflineConflict {
    pub device_scan_id: String,
    pub ticket_code: String,
    pub decided: ScanResult,
    pub answered: ScanResult,
}

/// The batch's scans decided offline (by position: their id, code and decision).
pub type DecidedOffline = Vec<(usize, String, String, ScanResult)>;

/// Which of the decided scans the server answered otherwise (a 409 conflict is no answer).
pub fn conflicts(decided: DecidedOffline, answers: &[RecordedScan]) -> Vec<OfflineConflict> {
    decided
        .into_iter()
        .filter_map(|(n, device_scan_id, ticket_code, decided)| {
            let answer = answers.get(n).filter(|answer| !answer.conflict)?;
            (answer.result != decided).then_some(OfflineConflict {
                device_scan_id,
                ticket_code,
                decided,
                answered: answer.result,
            })
        })
        .collect()
}

pub fn record(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: &GateDevice,
    conflicts: &[OfflineConflict],
    now: i64,
) -> QueryResult<()> {
    let rows: Vec<_> = conflicts
        .iter()
        .map(|conflict| {
            (
                offline_conflicts::organization_id.eq(tenant.organization_id()),
                offline_conflicts::event_id.eq(device.event_id),
                offline_conflicts::gate_id.eq(device.gate_id),
                offline_conflicts::device_id.eq(device.device_id),
                offline_conflicts::device_scan_id.eq(conflict.device_scan_id.as_str()),
                offline_conflicts::ticket_code.eq(conflict.ticket_code.as_str()),
                offline_conflicts::decided.eq(conflict.decided.as_stored()),
                offline_conflicts::answered.eq(conflict.answered.as_stored()),
                offline_conflicts::received_at.eq(now),
            )
        })
        .collect();
    with_backend!(conn, |c| diesel::insert_into(offline_conflicts::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}
