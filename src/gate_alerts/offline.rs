//! Offline conflicts: a scanner that decided scans from its offline copy uploads them
//! later, and the server's decision stands; where it differs, the gate gets an alert
//! while such uploads are recent. A plain function, as the other rules.

use super::model::{AlertKind, Finding};
use crate::domain::ScanResult;

/// Offline conflicts: scans uploaded within this window that the server answered
/// otherwise than the scanner had offline.
pub const OFFLINE_CONFLICT_WINDOW_MS: i64 = 10 * 60_000;

/// A scan decided offline and answered otherwise once uploaded.
#[derive(Clone, Debug)]
pub struct OfflineConflict {
    pub gate_id: i64,
    pub ticket_code: String,
    pub decided: ScanResult,
    pub answered: ScanResult,
}

/// One alert per gate with any conflicts, naming the latest (`conflicts` oldest first).
pub fn offline_conflicts(conflicts: &[OfflineConflict]) -> Vec<Finding> {
    let mut by_gate: Vec<(i64, usize, &OfflineConflict)> = Vec::new();
    for conflict in conflicts {
        match by_gate.iter_mut().find(|(gate, _, _)| *gate == conflict.gate_id) {
            Some(entry) => *entry = (entry.0, entry.1 + 1, conflict),
            None => by_gate.push((conflict.gate_id, 1, conflict)),
        }
    }
    by_gate
        .into_iter()
        .map(|(gate_id, count, latest)| {
            let code = &latest.ticket_code[latest.ticket_code.len().saturating_sub(6)..];
            Finding {
                kind: AlertKind::OfflineConflict,
                gate_id,
                device_id: None,
                subject: String::new(),
                detail: format!(
                    "{count} {} decided offline answered otherwise on upload (latest: …{code} {} offline, {} on upload)",
                    if count == 1 { "scan" } else { "scans" },
                    latest.decided.as_str(),
                    latest.answered.as_str()
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(gate_id: i64, code: &str, answered: ScanResult) -> OfflineConflict {
        OfflineConflict {
            gate_id,
            ticket_code: code.into(),
            decided: ScanResult::Valid,
            answered,
        }
    }

    #[test]
    fn conflicts_alert_once_per_gate_naming_how_many_and_the_latest() {
        let found = offline_conflicts(&[
            conflict(1, "AAAAAAAAAA111111", ScanResult::Duplicate),
            conflict(2, "BBBBBBBBBB222222", ScanResult::Invalid),
            conflict(1, "CCCCCCCCCC333333", ScanResult::Invalid),
        ]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].gate_id, 1);
        assert_eq!(
            found[0].detail,
            "2 scans decided offline answered otherwise on upload (latest: …333333 valid offline, invalid on upload)"
        );
        assert!(found[1].detail.starts_with("1 scan decided"));
        assert!(offline_conflicts(&[]).is_empty());
    }
}
