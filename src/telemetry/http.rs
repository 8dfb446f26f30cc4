//! How long requests take, by route pattern (`/orders/{id}`, never the path itself: a
//! label per order id would grow without bound), method and status, into the
//! `voelgoed_http_request_duration_seconds` histogram. Paths no route matches share the
//! pattern `unmatched`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn record_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(req.method());
    let response = next.call(req).await;
    let status = match &response {
        Ok(response) => response.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    metrics::histogram!(
        "voelgoed_http_request_duration_seconds",
        "route" => route,
        "method" => method,
        "status" => status.as_str().to_owned()
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label; any other than the usual ones is `other` (a client can send
/// any token as a method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
