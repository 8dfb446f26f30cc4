//! The device API: `POST /api/v1/scans` and `POST /api/v1/devices/heartbeat`, JSON in
//! and out, authorised by the device's bearer token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::JsonPayloadError;
use actix_web::{http::header, web, FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::device_tokens::Proof;
use super::model::{Admitted, Direction, GateDevice, RecordedScan, ScanAttempt, ScanResult};
use super::queries::{self, DeviceReport};
use crate::app::AppState;
use crate::auth::token_hash;
use crate::db::{self, Tenant};
use crate::error::ApiError;
use crate::live::{Channel, Update, UpdateKind};

/// Largest request body the device API reads.
pub const MAX_BODY: usize = 256 * 1024;
const MAX_BATCH: usize = 500;
const MAX_FUTURE_MS: i64 = 24 * 3_600_000;

/// JSON extraction errors as the device API's JSON errors.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_BODY).error_handler(|e, _| {
        match e {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiError::TooLarge(MAX_BODY)
            }
            JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
            other => ApiError::BadRequest(format!("invalid JSON body: {other}")),
        }
        .into()
    })
}

/// A scanning device proven by its bearer token.
pub struct ScanningDevice {
    pub tenant: Tenant,
    pub device: GateDevice,
}

impl FromRequest for ScanningDevice {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| token_hash(t.trim()));
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(hash), Some(state)) = (token, state) else {
                return Err(ApiError::Unauthorized);
            };
            match state.device_tokens.get(&hash) {
                Some(Proof::Proven(tenant, device)) => return Ok(Self { tenant, device }),
                Some(Proof::Refused) => return Err(ApiError::Unauthorized),
                None => {}
            }
            let key = hash.clone();
            let found = db::run(&state.gate_pool, move |conn| {
                Ok(queries::find_device_by_token(conn, &key)?)
            })
            .await?;
            let Some((tenant, device)) = found else {
                state.device_tokens.refuse(hash);
                return Err(ApiError::Unauthorized);
            };
            state.device_tokens.remember(hash, tenant, device);
            Ok(Self { tenant, device })
        })
    }
}

#[derive(Deserialize)]
pub struct ScanBatch {
    scans: Vec<ScanIn>,
}

#[derive(Deserialize)]
struct ScanIn {
    id: String,
    ticket_code: String,
    direction: Direction,
    scanned_at: DateTime<FixedOffset>,
}

#[derive(Serialize)]
struct ScanOut {
    id: String,
    result: ScanResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admitted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admitted_gate: Option<String>,
}

pub async fn post_scans(
    state: web::Data<AppState>,
    device: ScanningDevice,
    batch: web::Json<ScanBatch>,
) -> Result<HttpResponse, ApiError> {
    let attempts = parse_batch(batch.into_inner(), db::now_ms())?;
    let ids: Vec<String> = attempts.iter().map(|a| a.device_scan_id.clone()).collect();
    let answers = state
        .scan_writer
        .record(device.tenant, device.device, attempts)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let results: Vec<ScanOut> = ids
        .into_iter()
        .zip(answers)
        .map(|(id, answer)| scan_out(id, answer))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": results })))
}

fn scan_out(id: String, answer: RecordedScan) -> ScanOut {
    let (admitted_at, admitted_gate) = match answer.admitted {
        Some(Admitted { at, gate }) => (DateTime::from_timestamp_millis(at).map(|t| t.to_rfc3339()), Some(gate)),
        None => (None, None),
    };
    ScanOut {
        id,
        result: answer.result,
        reason: answer.reason,
        admitted_at,
        admitted_gate,
    }
}

/// Checks a batch as a whole before anything is recorded: one bad scan refuses all.
fn parse_batch(batch: ScanBatch, now: i64) -> Result<Vec<ScanAttempt>, ApiError> {
    let bad = |message: String| Err(ApiError::BadRequest(message));
    if batch.scans.is_empty() || batch.scans.len() > MAX_BATCH {
        return bad(format!(
            "scans must hold 1 to {MAX_BATCH} scans, not {}",
            batch.scans.len()
        ));
    }
    let mut attempts = Vec::with_capacity(batch.scans.len());
    for (n, scan) in batch.scans.into_iter().enumerate() {
        if scan.id.is_empty() || scan.id.len() > 64 || scan.id.chars().any(char::is_control) {
            return bad(format!("scans[{n}].id must be 1 to 64 printable characters"));
        }
        if scan.ticket_code.is_empty() || scan.ticket_code.len() > 256 {
            return bad(format!("scans[{n}].ticket_code must be 1 to 256 characters"));
        }
        if scan.ticket_code.chars().any(char::is_control) {
            return bad(format!("scans[{n}].ticket_code must not contain control characters"));
        }
        let scanned_at = scan.scanned_at.timestamp_millis();
        if scanned_at > now + MAX_FUTURE_MS {
            return bad(format!("scans[{n}].scanned_at is more than a day in the future"));
        }
        attempts.push(ScanAttempt {
            device_scan_id: scan.id,
            ticket_code: scan.ticket_code,
            direction: scan.direction,
            scanned_at,
        });
    }
    Ok(attempts)
}

#[derive(Deserialize)]
pub struct Heartbeat {
    battery: Option<i32>,
    pending_uploads: Option<i32>,
    app_version: Option<String>,
}

pub async fn post_heartbeat(
    state: web::Data<AppState>,
    device: ScanningDevice,
    heartbeat: web::Json<Heartbeat>,
) -> Result<HttpResponse, ApiError> {
    let report = parse_heartbeat(heartbeat.into_inner())?;
    let ScanningDevice { tenant, device } = device;
    db::run(&state.gate_pool, move |conn| {
        Ok(queries::record_heartbeat(
            conn,
            &tenant,
            device.device_id,
            &report,
            db::now_ms(),
        )?)
    })
    .await?;
    state.bus.publish(Update {
        channel: Channel::scans(&tenant, device.event_id),
        kind: UpdateKind::DeviceReported,
    });
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ok": true })))
}

fn parse_heartbeat(heartbeat: Heartbeat) -> Result<DeviceReport, ApiError> {
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
        .is_some_and(|v| v.len() > 64 || v.chars().any(char::is_control))
    {
        return bad("app_version must be at most 64 printable characters");
    }
    Ok(DeviceReport {
        battery: heartbeat.battery,
        pending_uploads: heartbeat.pending_uploads,
        app_version: heartbeat.app_version,
    })
}
