//! The one layer of telemetry around the device API and the probes: the request's
//! duration into the same histogram as the pages' (`http.rs`), unless `--metrics off`,
//! and the same access-log line as theirs, written when the head is ready (a machine's
//! answer is small). With neither wanted (metrics off, the log filtered out, as by
//! default) the request passes straight through: the line is never formatted and no
//! clock is read.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::Error;
use futures_util::future::Either;

use super::http::{histogram, labelled, method_label};

/// Middleware: timing (when `timed`) and the access log, in one layer.
#[derive(Clone, Copy)]
pub struct Observed {
    timed: bool,
}

impl Observed {
    pub fn new(timed: bool) -> Self {
        Self { timed }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Observed
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ObservedService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ObservedService {
            service,
            timed: self.timed,
        }))
    }
}

pub struct ObservedService<S> {
    service: S,
    timed: bool,
}

/// Passed straight through, or timed and logged.
type Answer<F, B> = Either<F, Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, Error>>>>>;

impl<S, B> Service<ServiceRequest> for ObservedService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Answer<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let timed = self.timed;
        if !timed && !super::access_logged() {
            return Either::Left(self.service.call(req));
        }
        let method = method_label(req.method());
        let started = Instant::now();
        let answer = self.service.call(req);
        Either::Right(Box::pin(async move {
            let response = answer.await;
            let elapsed = started.elapsed();
            match &response {
                Ok(response) => {
                    let request = response.request();
                    if timed {
                        histogram(request, method, response.status()).record(elapsed.as_secs_f64());
                    }
                    tracing::info!(
                        target: "voelgoed::http",
                        "{} {} {:.6}ms",
                        super::logged(request),
                        response.status().as_u16(),
                        elapsed.as_secs_f64() * 1000.0
                    );
                }
                Err(e) => {
                    let status = e.as_response_error().status_code();
                    if timed {
                        labelled("refused".to_owned(), method, status).record(elapsed.as_secs_f64());
                    }
                    let ms = elapsed.as_secs_f64() * 1000.0;
                    tracing::info!(target: "voelgoed::http", "{method} (refused) {} {ms:.6}ms", status.as_u16());
                }
            }
            response
        }))
    }
}
