//! The headers a page carries so a browser holds it to what it is:
//! a Content-Security-Policy on HTML (only our own scripts, styles and connections; no
//! framing, no inline code), `nosniff`, a same-origin referrer, and HSTS when the
//! client came over TLS: one middleware, around the pages. Answers to machines (the
//! device API, the probes) get `machine_headers` instead.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use crate::client;

/// The policy of every HTML page: the views carry no inline `style=` or `<script>`, and
/// htmx is told (by its `htmx-config` meta tag) neither to inject styles nor to eval.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
form-action 'self'; object-src 'none'";

/// Two years, as browsers' preload lists ask; only ever sent over TLS.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = client::is_secure(req.request());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // A page may bring a stricter policy of its own (the scanner's, with its inline
    // script's hash): that one stands.
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    Ok(response)
}

/// The headers of an answer to a machine (the device API, the probes): never sniffed as
/// anything else, never stored by a cache on the way (a scan's answer is one device's).
/// A page's policy, its referrer policy and HSTS mean nothing to a scanner.
pub async fn machine_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}
