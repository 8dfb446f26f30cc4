//! The middleware every live stream passes: it ends the stream when shutdown begins,
//! and allows one signed-in session, and one kiosk link, at most `MAX_PER_SESSION` open
//! streams on this instance (a page opens one or two, a gate has a few screens; a script
//! opening hundreds is refused with 429 before anything is looked up).
//! It also counts the open streams by kind (`stream_counts.rs`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;

use super::{session_cookie_name, token_hash};
use crate::http_error::html_error;
use crate::live::{Shutdown, StreamCounts, StreamKind};
use crate::quota::Quota;

/// Open streams one session (or one kiosk link) may hold on one instance.
pub const MAX_PER_SESSION: usize = 16;

/// Open streams per session and per kiosk link (by the hash of its token).
#[derive(Clone)]
pub struct StreamQuota(Quota<String>);

impl Default for StreamQuota {
    fn default() -> Self {
        Self(Quota::new(MAX_PER_SESSION))
    }
}

/// Needs `web::Data<Shutdown>` and `web::Data<StreamQuota>`; counts into
/// `web::Data<StreamCounts>` when there is one.
pub async fn guard_streams(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let shutdown = req.app_data::<web::Data<Shutdown>>().cloned();
    let place = match holder(&req) {
        Some(holder) => {
            let quota = req.app_data::<web::Data<StreamQuota>>().cloned();
            let place = quota.and_then(|q| q.0.take(holder));
            if place.is_none() {
                let refused =
                    format!("At most {MAX_PER_SESSION} live views can be open at once. Close one and reload.");
                let response = html_error(StatusCode::TOO_MANY_REQUESTS, &refused);
                return Err(InternalError::from_response(refused, response).into());
            }
            place
        }
        None => None,
    };
    let counts = req.app_data::<web::Data<StreamCounts>>().cloned();
    let response = next.call(req).await?;
    let streams = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    // Only streams pay for finding their route again.
    let kind = match streams {
        true => StreamKind::of_route(response.request().match_pattern().as_deref()),
        false => StreamKind::Other,
    };
    Ok(response.map_body(|_, body| match (shutdown, counts) {
        (Some(shutdown), Some(counts)) if streams => shutdown
            .end_on_shutdown(counts.count(kind, body.boxed()), place)
            .boxed(),
        (Some(shutdown), None) if streams => shutdown.end_on_shutdown(body.boxed(), place).boxed(),
        _ => body.boxed(),
    }))
}

/// Whose quota a stream request counts against: its session's, or its kiosk link's. The
/// session is read from the cookie that opens it for this request (`__Host-vg_session`
/// when served securely, `vg_session` on plain HTTP), so the cap holds under TLS too.
fn holder(req: &ServiceRequest) -> Option<String> {
    if let Some(token) = crate::paths::kiosk_stream_token(req.path()) {
        return Some(format!("kiosk:{}", token_hash(token)));
    }
    let cookie = req.cookie(session_cookie_name(req.request()))?;
    req.path()
        .starts_with(crate::paths::LIVE_STREAMS)
        .then(|| format!("session:{}", token_hash(cookie.value())))
}
