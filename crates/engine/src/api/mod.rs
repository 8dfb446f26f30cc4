//! The device API: `POST /api/v1/scans`, `POST /api/v1/devices/heartbeat` and
//! `GET /api/v1/device` and `GET /api/v1/tickets` (`tickets.rs`), JSON in and out, authorised by the device's bearer token
//! (`device.rs`), errors as JSON.

mod body;
pub mod contract;
mod device;
pub mod device_tokens;
mod error;
mod offline;
mod tickets;

use actix_web::error::JsonPayloadError;
use actix_web::{web, HttpResponse};

use super::devices::{record_heartbeats, Heartbeat};
use super::{GatePool, ScanWriter};
use crate::db;
use crate::live::Bus;
use crate::model::GateDevice;
use body::{parse_batch, parse_heartbeat, scan_out, HeartbeatBody, ScanBatch, ScanOut, ScansAnswer};
use contract::{DeviceAnswer, ErrorAnswer, HeartbeatAnswer};
pub use device::ScanningDevice;
pub use error::ApiError;
/// The paths' generated descriptions, for the console's OpenAPI document.
pub use tickets::__path_get_tickets;
pub use tickets::{get_tickets, TicketLists};

/// Largest request body the device API reads.
pub const MAX_BODY: usize = 256 * 1024;
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

/// Records a batch of scans and answers each, in order; answered only once stored.
#[utoipa::path(post, path = "/api/v1/scans", tag = "scans", request_body = ScanBatch,
    security(("device_token" = [])),
    responses(
        (status = 200, description = "Each scan's answer, in the batch's order", body = ScansAnswer),
        (status = 400, description = "The batch is malformed: nothing recorded", body = ErrorAnswer),
        (status = 401, description = "Missing, unknown or revoked device token", body = ErrorAnswer),
        (status = 413, description = "The body is over 256 KB", body = ErrorAnswer),
        (status = 415, description = "The body is not JSON", body = ErrorAnswer),
        (status = 503, description = "Briefly unavailable: nothing recorded, send it again", body = ErrorAnswer),
    ))]
pub async fn post_scans(
    writer: web::Data<ScanWriter>,
    pool: web::Data<GatePool>,
    device: ScanningDevice,
    batch: web::Json<ScanBatch>,
) -> Result<HttpResponse, ApiError> {
    let checked = parse_batch(batch.into_inner(), db::now_ms())?;
    let ids: Vec<String> = checked.attempts.iter().map(|a| a.device_scan_id.clone()).collect();
    let decided = checked.decided_offline();
    let answers = writer
        .record_scans(device.tenant, device.device, checked.attempts)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    write_down_conflicts(&pool, &device, offline::conflicts(decided, &answers)).await;
    let results: Vec<ScanOut> = ids
        .into_iter()
        .zip(answers)
        .map(|(id, answer)| scan_out(id, answer))
        .collect();
    Ok(HttpResponse::Ok().json(ScansAnswer { results }))
}

/// The scans are stored and answered whatever happens here: a conflict that cannot be
/// written down now is written when the device resends the batch (it does on any error).
async fn write_down_conflicts(pool: &GatePool, device: &ScanningDevice, conflicts: Vec<offline::OfflineConflict>) {
    if conflicts.is_empty() {
        return;
    }
    let (tenant, gate_device) = (device.tenant, device.device);
    let written = db::run(pool, move |conn| {
        Ok(offline::record(conn, &tenant, &gate_device, &conflicts, db::now_ms())?)
    })
    .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "offline conflicts not written down");
    }
}

/// The device's battery and waiting uploads, as the monitor shows its status.
#[utoipa::path(post, path = "/api/v1/devices/heartbeat", tag = "devices", request_body = HeartbeatBody,
    security(("device_token" = [])),
    responses(
        (status = 200, description = "Recorded", body = HeartbeatAnswer),
        (status = 400, description = "A field is out of range", body = ErrorAnswer),
        (status = 401, description = "Missing, unknown or revoked device token", body = ErrorAnswer),
        (status = 413, description = "The body is over 256 KB", body = ErrorAnswer),
        (status = 415, description = "The body is not JSON", body = ErrorAnswer),
        (status = 503, description = "Briefly unavailable: send it again", body = ErrorAnswer),
    ))]
pub async fn post_heartbeat(
    pool: web::Data<GatePool>,
    bus: web::Data<dyn Bus>,
    device: ScanningDevice,
    body: web::Json<HeartbeatBody>,
) -> Result<HttpResponse, ApiError> {
    let report = parse_heartbeat(body.into_inner())?;
    let ScanningDevice { tenant, device } = device;
    let heartbeat = [Heartbeat {
        device_id: device.device_id,
        report,
    }];
    db::run(&pool, move |conn| {
        Ok(record_heartbeats(
            conn,
            &**bus,
            &tenant,
            device.event_id,
            &heartbeat,
            db::now_ms(),
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(HeartbeatAnswer { ok: true }))
}

/// Which device the token is: a scanner checks it is still paired (a revoked device's
/// token answers 401), at no cost to the database while its token is proven.
#[utoipa::path(get, path = "/api/v1/device", tag = "devices",
    security(("device_token" = [])),
    responses(
        (status = 200, description = "The device, its gate and event", body = DeviceAnswer),
        (status = 401, description = "Missing, unknown or revoked device token", body = ErrorAnswer),
    ))]
pub async fn get_device(device: ScanningDevice) -> HttpResponse {
    let GateDevice {
        device_id,
        gate_id,
        event_id,
    } = device.device;
    HttpResponse::Ok().json(DeviceAnswer {
        device_id,
        gate_id,
        event_id,
    })
}
