//! `POST /api/v1/pair`: pairing as a scanner app of its own does it, with the token of
//! the link a supervisor gave (the part after `/pair/`); JSON in and out, like the rest
//! of the device API. The same link, spent the same way, as `POST /pair/{token}`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pairing::{self, PairedDevice};
use crate::db::{self, Pool};
use crate::error::AppError;
use crate::scanning::{ApiError, ErrorAnswer};

#[derive(Deserialize, ToSchema)]
pub struct PairRequest {
    /// The pairing link's token: what follows `/pair/` in the link.
    #[schema(min_length = 1, max_length = 128)]
    pairing: String,
}

/// The new device: its token (keep it on this device only) and where it scans.
#[derive(Serialize, ToSchema)]
pub struct PairedAnswer {
    token: String,
    device_id: i64,
    device: String,
    gate: String,
    event: String,
    event_id: i64,
}

#[utoipa::path(post, path = "/api/v1/pair", tag = "devices", request_body = PairRequest,
    responses(
        (status = 201, description = "Paired: this device is now a scanner at the link's gate", body = PairedAnswer),
        (status = 400, description = "The body is malformed", body = ErrorAnswer),
        (status = 404, description = "No such pairing link", body = ErrorAnswer),
        (status = 410, description = "The link was used already, or expired", body = ErrorAnswer),
        (status = 413, description = "The body is over 256 KB", body = ErrorAnswer),
        (status = 415, description = "The body is not JSON", body = ErrorAnswer),
        (status = 503, description = "Briefly unavailable: nothing was spent, send it again", body = ErrorAnswer),
    ))]
pub async fn pair_device(pool: web::Data<Pool>, body: web::Json<PairRequest>) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().pairing;
    if token.is_empty() || token.len() > 128 {
        return Err(ApiError::BadRequest("pairing must be 1 to 128 characters".into()));
    }
    let paired = db::run(&pool, move |conn| {
        Ok(db::write_transaction(conn, |conn| {
            pairing::use_pairing(conn, &token, db::now_ms())
        })?)
    })
    .await?
    .map_err(refusal)?;
    Ok(HttpResponse::Created().json(answer(paired)))
}

fn refusal(refused: AppError) -> ApiError {
    match refused {
        AppError::Gone(why) => ApiError::Gone(why),
        AppError::NotFound => ApiError::Missing("no such pairing link".into()),
        other => ApiError::Unexpected(other.into()),
    }
}

fn answer(paired: PairedDevice) -> PairedAnswer {
    PairedAnswer {
        token: paired.token,
        device_id: paired.device_id,
        device: paired.device_name,
        gate: paired.gate_name,
        event: paired.event_name,
        event_id: paired.event_id,
    }
}
