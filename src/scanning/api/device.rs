//! The scanning device behind a request, proven by its bearer token: from the token
//! cache when it was proven a moment ago, else from the gates' own pool.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};

use super::device_tokens::{DeviceTokens, Proof};
use crate::auth::token_hash;
use crate::db::Tenant;
use crate::error::with_db;
use crate::error::ApiError;
use crate::scanning::model::GateDevice;
use crate::scanning::{queries, GatePool};

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

/// The device a token hash belongs to, remembered either way for a few seconds.
async fn prove(tokens: &DeviceTokens, pool: &GatePool, hash: String) -> Result<ScanningDevice, ApiError> {
    match tokens.get(&hash) {
        Some(Proof::Proven(tenant, device)) => return Ok(ScanningDevice { tenant, device }),
        Some(Proof::Refused) => return Err(ApiError::Unauthorized),
        None => {}
    }
    let key = hash.clone();
    let found = with_db(pool, move |conn| Ok(queries::find_device_by_token(conn, &key)?)).await?;
    let Some((tenant, device)) = found else {
        tokens.refuse(hash);
        return Err(ApiError::Unauthorized);
    };
    tokens.remember(hash, tenant, device);
    Ok(ScanningDevice { tenant, device })
}
