//! The scanning device behind a request, proven by its bearer token: from the snapshot
//! of known tokens (`device_tokens.rs`), read from the gates' own pool.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};

use super::device_tokens::{DeviceTokens, Proof, RECHECK_AFTER};
use super::error::ApiError;
use crate::db::{self, Tenant};
use crate::model::GateDevice;
use crate::tokens::token_hash;
use crate::{queries, GatePool};

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
        let tokens = req.app_data::<web::Data<DeviceTokens>>().cloned();
        let pool = req.app_data::<web::Data<GatePool>>().cloned();
        Box::pin(async move {
            let (Some(hash), Some(tokens), Some(pool)) = (token, tokens, pool) else {
                return Err(ApiError::Unauthorized);
            };
            prove(&tokens, &pool, hash).await
        })
    }
}

/// The device a token hash belongs to, from the snapshot of known tokens.
async fn prove(tokens: &DeviceTokens, pool: &GatePool, hash: String) -> Result<ScanningDevice, ApiError> {
    let asked_at = Instant::now();
    loop {
        match tokens.proof(&hash) {
            Proof::Proven(tenant, device) => return Ok(ScanningDevice { tenant, device }),
            Proof::NoDevices => return Err(ApiError::Unauthorized),
            // A snapshot read after the request came lacks it: no device's token.
            Proof::Refused { read_at } if read_at >= asked_at => {
                tokens.refuse(hash);
                return Err(ApiError::Unauthorized);
            }
            // Perhaps a device made since: looked for in the next snapshot.
            Proof::Refused { read_at } => tokio::time::sleep_until((read_at + RECHECK_AFTER).into()).await,
            Proof::Stale => {}
        }
        // One request reads the snapshot; the others waiting here use what it read.
        let _reading = tokens.reading.lock().await;
        if tokens.proof(&hash) == Proof::Stale {
            let devices = db::run(pool, |conn| Ok(queries::unrevoked_devices(conn)?)).await?;
            tokens.replace(devices);
        }
    }
}
