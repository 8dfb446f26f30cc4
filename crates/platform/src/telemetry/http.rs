//! How long requests take, by route pattern (`/orders/{id}`, never the path itself: a
//! label per order id would grow without bound), method and status, into the
//! `voelgoed_http_request_duration_seconds` histogram. Paths no route matches share the
//! pattern `unmatched`; a middleware's refusal (the live-stream cap) is `refused`.
//!
//! Finding a request's pattern walks the route table again, and a histogram found by
//! its labels is a registry lookup: both are done once per path, method and status, and
//! the histogram kept (for the first `REMEMBERED_PATHS` paths; later ones are looked up
//! each time), so a gate's scans pay one map lookup.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use metrics::Histogram;

/// Distinct paths whose histograms are kept.
const REMEMBERED_PATHS: usize = 512;

/// Histograms by path, then by (method, status).
type Remembered = HashMap<String, Vec<(&'static str, StatusCode, Histogram)>>;

static HISTOGRAMS: RwLock<Option<Remembered>> = RwLock::new(None);

pub async fn record_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let response = next.call(req).await;
    let elapsed = started.elapsed().as_secs_f64();
    match &response {
        Ok(response) => histogram(response.request(), method, response.status()).record(elapsed),
        // A middleware's refusal (the live-stream cap) took the request with it.
        Err(e) => labelled("refused".to_owned(), method, e.as_response_error().status_code()).record(elapsed),
    }
    response
}

/// The histogram of `request`'s route, method and status: remembered, or found now.
pub(super) fn histogram(request: &actix_web::HttpRequest, method: &'static str, status: StatusCode) -> Histogram {
    let path = request.path();
    let read = HISTOGRAMS.read().unwrap_or_else(PoisonError::into_inner);
    let known = read.as_ref().and_then(|paths| paths.get(path)).and_then(|kept| {
        kept.iter()
            .find(|(m, s, _)| *m == method && *s == status)
            .map(|(_, _, h)| h.clone())
    });
    drop(read);
    if let Some(histogram) = known {
        return histogram;
    }
    let route = request.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let histogram = labelled(route, method, status);
    let mut write = HISTOGRAMS.write().unwrap_or_else(PoisonError::into_inner);
    let paths = write.get_or_insert_with(HashMap::new);
    if paths.len() < REMEMBERED_PATHS || paths.contains_key(path) {
        let kept = paths.entry(path.to_owned()).or_default();
        kept.push((method, status, histogram.clone()));
    }
    histogram
}

pub(super) fn labelled(route: String, method: &'static str, status: StatusCode) -> Histogram {
    metrics::histogram!(
        "voelgoed_http_request_duration_seconds",
        "route" => route,
        "method" => method,
        "status" => status.as_str().to_owned()
    )
}

/// The method as a label; any other than the usual ones is `other` (a client can send
/// any token as a method).
pub(super) fn method_label(method: &Method) -> &'static str {
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
