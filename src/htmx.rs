//! What the console needs to know of htmx: whether a request came from it
//! (`HxRequest`), and errors on such requests shown where the user looks.
//!
//! htmx swaps nothing for a 4xx/5xx by default, so a refused filter used to show
//! nothing at all. `flash_errors` answers an htmx request's error with just its
//! message, retargeted into the page's flash area (`#flash`, see `ui::layout::page`),
//! and the page's htmx config lets htmx swap error responses.

use std::convert::Infallible;
use std::future::{ready, Ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest};

use crate::http_error::ErrorMessage;
use crate::ui::components;

/// The flash area's id, where refused htmx requests say why.
pub const FLASH_ID: &str = "flash";

/// Whether htmx sent this request (it sets `HX-Request: true`), and not to restore
/// its history cache (which wants a whole page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HxRequest(pub bool);

impl HxRequest {
    pub fn of(req: &HttpRequest) -> Self {
        let says = |name: &str| req.headers().get(name).is_some_and(|v| v.as_bytes() == b"true");
        Self(says("HX-Request") && !says("HX-History-Restore-Request"))
    }
}

impl FromRequest for HxRequest {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// Middleware: an htmx request's error response becomes its message, swapped into
/// `#flash` (`HX-Retarget`/`HX-Reswap`), with the status kept.
/// Every other response passes untouched (its body is not even boxed), so the device
/// API and the pages pay a header check only.
pub async fn flash_errors<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, String>>, actix_web::Error> {
    let from_htmx = HxRequest::of(req.request());
    let response = next.call(req).await?;
    let status = response.status();
    if !from_htmx.0 || !(status.is_client_error() || status.is_server_error()) {
        return Ok(response.map_into_left_body());
    }
    let Some(ErrorMessage(message)) = response.response().extensions().get::<ErrorMessage>().cloned() else {
        return Ok(response.map_into_left_body());
    };
    Ok(response.map_body(|head, _| {
        let headers = &mut head.headers;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        headers.insert(
            HeaderName::from_static("hx-retarget"),
            HeaderValue::from_static("#flash"),
        );
        headers.insert(
            HeaderName::from_static("hx-reswap"),
            HeaderValue::from_static("innerHTML"),
        );
        EitherBody::right(components::flash_error(&message).into_string())
    }))
}
