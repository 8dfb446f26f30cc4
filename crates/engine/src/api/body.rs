//! The device API's bodies: a scan batch checked as a whole before anything is
//! recorded, the answers in the device's order, and a heartbeat's report.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use utoipa::ToSchema;

use super::contract::{AnswerWord, DecisionWord, DirectionWord};
use super::error::ApiError;
use crate::model::{Admitted, Direction, RecordedScan, ScanAttempt, ScanResult};
use crate::DeviceReport;

const MAX_BATCH: usize = 500;
const MAX_FUTURE_MS: i64 = 24 * 3_600_000;

/// A batch of 1 to 500 scans as the device sends it.
#[derive(Deserialize, ToSchema)]
pub struct ScanBatch {
    #[schema(min_items = 1, max_items = 500)]
    scans: Vec<ScanIn>,
}

/// One scan. Its `id` (the device's own, unique per device) makes a resend harmless.
#[derive(Deserialize, ToSchema)]
pub struct ScanIn {
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$",
        example = "5f0c8c7e-8a59-4c1e-b7a0-1f0e2d3c4b5a"
    )]
    id: String,
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$",
        example = "7Q2M9X4KD1HF8RZB3N6T"
    )]
    ticket_code: String,
    #[schema(value_type = DirectionWord)]
    direction: Direction,
    #[schema(value_type = String, format = DateTime)]
    scanned_at: DateTime<FixedOffset>,
    /// A scan decided from the scanner's offline copy: what it decided then.
    #[serde(default)]
    #[schema(value_type = Option<DecisionWord>)]
    decided_offline: Option<String>,
}

/// One scan's answer.
#[derive(Serialize, ToSchema)]
pub struct ScanOut {
    id: String,
    #[schema(value_type = AnswerWord)]
    result: &'static str,
    /// 409 for a conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// When a duplicate's ticket went in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    admitted_at: Option<String>,
    /// Where a duplicate's ticket went in.
    #[serde(skip_serializing_if = "Option::is_none")]
    admitted_gate: Option<String>,
}

/// The answers to a batch, in the batch's order.
#[derive(Serialize, ToSchema)]
pub struct ScansAnswer {
    pub results: Vec<ScanOut>,
}

/// The answer to one scan, as the device reads it. A scan id reused for another ticket
/// is a conflict: 409 in its own result, the batch's other scans answered as usual.
pub fn scan_out(id: String, answer: RecordedScan) -> ScanOut {
    if answer.conflict {
        return ScanOut {
            id,
            result: "conflict",
            status: Some(409),
            reason: answer.reason,
            admitted_at: None,
            admitted_gate: None,
        };
    }
    let (admitted_at, admitted_gate) = match answer.admitted {
        Some(Admitted { at, gate }) => (DateTime::from_timestamp_millis(at).map(|t| t.to_rfc3339()), Some(gate)),
        None => (None, None),
    };
    ScanOut {
        id,
        result: answer.result.as_str(),
        status: None,
        reason: answer.reason,
        admitted_at,
        admitted_gate,
    }
}

/// A batch as checked: its scans, and for each what the scanner decided offline (if it did).
pub struct CheckedBatch {
    pub attempts: Vec<ScanAttempt>,
    pub decided_offline: Vec<Option<ScanResult>>,
}

impl CheckedBatch {
    /// The scans decided offline, by position, with their id, code and decision.
    pub fn decided_offline(&self) -> super::offline::DecidedOffline {
        self.attempts
            .iter()
            .zip(&self.decided_offline)
            .enumerate()
            .filter_map(|(n, (attempt, decided))| {
                decided.map(|d| (n, attempt.device_scan_id.clone(), attempt.ticket_code.clone(), d))
            })
            .collect()
    }
}

/// Checks a batch as a whole before anything is recorded: one bad scan refuses all.
pub fn parse_batch(batch: ScanBatch, now: i64) -> Result<CheckedBatch, ApiError> {
    let bad = |message: String| Err(ApiError::BadRequest(message));
    if batch.scans.is_empty() || batch.scans.len() > MAX_BATCH {
        return bad(format!(
            "scans must hold 1 to {MAX_BATCH} scans, not {}",
            batch.scans.len()
        ));
    }
    let mut attempts = Vec::with_capacity(batch.scans.len());
    let mut decided = Vec::with_capacity(batch.scans.len());
    for (n, scan) in batch.scans.into_iter().enumerate() {
        if scan.id.is_empty() || scan.id.chars().count() > 64 || scan.id.chars().any(char::is_control) {
            return bad(format!("scans[{n}].id must be 1 to 64 printable characters"));
        }
        if scan.ticket_code.is_empty() || scan.ticket_code.chars().count() > 256 {
            return bad(format!("scans[{n}].ticket_code must be 1 to 256 characters"));
        }
        if scan.ticket_code.chars().any(char::is_control) {
            return bad(format!("scans[{n}].ticket_code must not contain control characters"));
        }
        let scanned_at = scan.scanned_at.timestamp_millis();
        if scanned_at > now + MAX_FUTURE_MS {
            return bad(format!("scans[{n}].scanned_at is more than a day in the future"));
        }
        let decided_offline = match scan.decided_offline.as_deref() {
            None => None,
            Some(raw) => match ScanResult::from_stored(raw) {
                Ok(result) => Some(result),
                Err(_) => {
                    return bad(format!(
                        "scans[{n}].decided_offline must be valid, duplicate or invalid"
                    ))
                }
            },
        };
        attempts.push(ScanAttempt {
            device_scan_id: scan.id,
            ticket_code: scan.ticket_code,
            direction: scan.direction,
            // A scan cannot have happened after it arrived: a clock ahead counts as now,
            // so it cannot date an entry into tomorrow round the once-per-day rule.
            scanned_at: scanned_at.min(now),
        });
        decided.push(decided_offline);
    }
    Ok(CheckedBatch {
        attempts,
        decided_offline: decided,
    })
}

/// A heartbeat as the device sends it (all fields optional).
#[derive(Deserialize, ToSchema)]
pub struct HeartbeatBody {
    #[schema(minimum = 0, maximum = 100)]
    battery: Option<i32>,
    /// Scans decided offline, waiting for upload.
    #[schema(minimum = 0)]
    pending_uploads: Option<i32>,
    #[schema(max_length = 64, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    app_version: Option<String>,
}

/// Checks a heartbeat's numbers.
pub fn parse_heartbeat(heartbeat: HeartbeatBody) -> Result<DeviceReport, ApiError> {
    let bad = |message: &str| Err(ApiError::BadRequest(message.into()));
    if heartbeat.battery.is_some_and(|b| !(0..=100).contains(&b)) {
        return bad("battery must be 0 to 100");
    }
    if heartbeat.pending_uploads.is_some_and(|p| p < 0) {
        return bad("pending_uploads cannot be negative");
    }
    if heartbeat
        .app_version
        .as_ref()
        .is_some_and(|v| v.chars().count() > 64 || v.chars().any(char::is_control))
    {
        return bad("app_version must be at most 64 printable characters");
    }
    Ok(DeviceReport {
        battery: heartbeat.battery,
        pending_uploads: heartbeat.pending_uploads,
        app_version: heartbeat.app_version,
    })
}
