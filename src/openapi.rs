//! `GET /api/v1/openapi.json`: the device API as an OpenAPI 3.1 document, generated from
//! the handlers' and bodies' own annotations (`utoipa`), so it cannot drift from the
//! code. Third-party scanners are written from it; CI fuzzes the API against it.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::scanning::api as device_api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Voelgoed device API",
        version = "1",
        description = "What gate devices post to: scans (idempotent by the device's scan id), heartbeats, \
                       pairing from a supervisor's link, and the event's tickets for deciding offline. \
                       Errors are JSON: {\"error\": \"…\"}; nothing is recorded when one is answered."
    ),
    paths(
        device_api::post_scans,
        device_api::post_heartbeat,
        device_api::get_device,
        device_api::get_tickets,
        crate::scanner::api::pair_device,
    ),
    modifiers(&DeviceToken)
)]
pub struct DeviceApiDoc;

/// The bearer token a device holds (from `admin create-device` or a pairing).
struct DeviceToken;

impl Modify for DeviceToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        components.add_security_scheme("device_token", SecurityScheme::Http(bearer));
    }
}

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(DeviceApiDoc::openapi())
}
