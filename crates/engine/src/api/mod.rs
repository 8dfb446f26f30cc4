//! The device API: `POST /api/v1/scans`, `POST /api/v1/devices/heartbeat` and
//! `GET /api/v1/device` and `GET /api/v1/tickets` (`tickets.rs`), JSON in and out, authorised by the device's bearer token
//! (`device.rs`), errors as JSON.

mod body;
mod device;
pub mod device_tokens;
mod error;
mod tickets;

use actix_web::error::JsonPayloadError;
use actix_web::{web, HttpResponse};

use super::devices::{record_heartbeats, Heartbeat};
use super::{GatePool, ScanWriter};
use crate::db;
use crate::live::Bus;
use crate::model::GateDevice;
use body::{parse_batch, parse_heartbeat, scan_out, HeartbeatBody, ScanBatch, ScanOut};
pub use device::ScanningDevice;
pub use error::ApiError;
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

pub async fn post_scans(
    writer: web::Data<ScanWriter>,
    device: ScanningDevice,
    batch: web::Json<ScanBatch>,
) -> Result<HttpResponse, ApiError> {
    let attempts = parse_batch(batch.into_inner(), db::now_ms())?;
    let ids: Vec<String> = attempts.iter().map(|a| a.device_scan_id.clone()).collect();
    let answers = writer
        .record_scans(device.tenant, device.device, attempts)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let results: Vec<ScanOut> = ids
        .into_iter()
        .zip(answers)
        .map(|(id, answer)| scan_out(id, answer))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": results })))
}

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
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ok": true })))
}

/// Which device the token is: a scanner checks it is still paired (a revoked device's
/// token answers 401), at no cost to the database while its token is proven.
pub async fn get_device(device: ScanningDevice) -> HttpResponse {
    let GateDevice {
        device_id,
        gate_id,
        event_id,
    } = device.device;
    HttpResponse::Ok().json(serde_json::json!({
        "device_id": device_id,
        "gate_id": gate_id,
        "event_id": event_id,
    }))
}
