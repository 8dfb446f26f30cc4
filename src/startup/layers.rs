//! What each part of the route table passes through, so each pays only for what it
//! needs. Pages and their streams get everything (innermost first): htmx errors into
//! `#flash`, live-stream limits and counts, gzip, the page's security headers, request
//! timing unless `--metrics off`, and the access log. The device API and the probes
//! answer machines with small bodies: request timing and an access-log line in one
//! layer, and the headers that matter to a machine's answer (`nosniff`, `no-store`);
//! no flash, no stream guard, no compression, no page policy.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{self, Compress, Condition, Logger};
use actix_web::{web, Scope};

use crate::{htmx, routes, security_headers, telemetry};

/// The whole route table with its middleware: the device API and the probes first, the
/// pages (which take every other path) last.
pub fn layered_routes(cfg: &mut web::ServiceConfig, timed: bool) {
    cfg.service(device_api(timed));
    for probe in routes::probes() {
        cfg.service(
            probe
                .wrap(middleware::from_fn(security_headers::machine_headers))
                .wrap(telemetry::Observed::new(timed)),
        );
    }
    cfg.service(pages(timed));
}

/// The device API's scope and its two layers.
pub fn device_api(
    timed: bool,
) -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    routes::device_api()
        .wrap(middleware::from_fn(security_headers::machine_headers))
        .wrap(telemetry::Observed::new(timed))
}

/// The pages' scope and their six layers.
fn pages(
    timed: bool,
) -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    routes::pages()
        .wrap(middleware::from_fn(htmx::flash_errors))
        .wrap(middleware::from_fn(crate::auth::guard_streams))
        .wrap(Compress::default())
        .wrap(middleware::from_fn(security_headers::security_headers))
        .wrap(Condition::new(timed, middleware::from_fn(telemetry::record_requests)))
        // Decided once per worker: the log filter does not change while serving, and a
        // line the filter drops then costs nothing, not even its request's formatting.
        .wrap(Condition::new(telemetry::access_logged(), access_logger()))
}

/// The pages' access log: the redacted request, the status and the time to the end of
/// the body (a live stream's line comes when it ends).
pub fn access_logger() -> Logger {
    Logger::new("%{request}xi %s %Dms")
        .custom_request_replace("request", telemetry::logged_request)
        .log_target("voelgoed::http")
}
