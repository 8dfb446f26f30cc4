//! `GET /metrics`: the Prometheus text format, for loopback clients or a bearer of
//! `--metrics-token` (`access.rs`). Two sources: the process's recorder (histograms,
//! counters the code bumps where things happen) and collectors read at scrape time
//! (values this instance holds: scans decided, open streams, pools, the outbox …),
//! which startup wires from the features, so this plumbing knows none of them.
//!
//! Values read at scrape time belong to this app, not the process: two apps in one
//! process (the tests, the two-instance benchmark) each show their own.

use std::fmt::{Display, Write};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::future::{join_all, BoxFuture};

use super::access::{allowed, Refusal};
use crate::config::Settings;

/// Longest a collector may take (one reads the database); past it a scrape goes on
/// without it and says so in a comment.
const COLLECT_TIMEOUT: Duration = Duration::from_secs(1);

/// A Prometheus metric type.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Counter,
    Gauge,
}

/// Text in the Prometheus exposition format, written by the collectors.
#[derive(Default)]
pub struct Exposition(String);

impl Exposition {
    /// Starts a metric family: its HELP and TYPE lines. Its samples follow.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) -> &mut Self {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
        self
    }

    /// One sample of the family just started.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) -> &mut Self {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                let comma = if i == 0 { "" } else { "," };
                let _ = write!(self.0, "{comma}{label}=\"{}\"", escaped(value));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
        self
    }

    pub fn into_text(self) -> String {
        self.0
    }
}

fn escaped(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

type Collector = Arc<dyn Fn() -> BoxFuture<'static, Exposition> + Send + Sync>;

/// What a scrape reads at scrape time, in order.
#[derive(Clone, Default)]
pub struct Collectors(Vec<Collector>);

impl Collectors {
    /// A collector that reads values at hand (atomics, a pool's state).
    pub fn add(&mut self, collect: impl Fn(&mut Exposition) + Send + Sync + 'static) {
        self.0.push(Arc::new(move || {
            let mut out = Exposition::default();
            collect(&mut out);
            Box::pin(std::future::ready(out))
        }));
    }

    /// A collector that has to wait (a database query); bounded by `COLLECT_TIMEOUT`.
    pub fn add_async<F, Fut>(&mut self, collect: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Exposition> + Send + 'static,
    {
        self.0.push(Arc::new(move || Box::pin(collect())));
    }

    /// Every collector's text, each bounded by the timeout.
    async fn collect(&self) -> String {
        let outputs = join_all(
            self.0
                .iter()
                .map(|collector| tokio::time::timeout(COLLECT_TIMEOUT, collector())),
        )
        .await;
        outputs.into_iter().fold(String::new(), |mut text, output| {
            match output {
                Ok(exposition) => text.push_str(&exposition.into_text()),
                Err(_) => text.push_str("# a collector did not answer within 1 s and was left out\n"),
            }
            text
        })
    }
}

/// `GET /metrics`. Needs `web::Data<Collectors>`; 404 when metrics are turned off.
pub async fn metrics(
    req: HttpRequest,
    settings: web::Data<Settings>,
    collectors: web::Data<Collectors>,
) -> HttpResponse {
    if !settings.metrics.enabled {
        return plain(
            HttpResponse::NotFound(),
            "Metrics are turned off on this server (--metrics off).\n",
        );
    }
    if let Err(refusal) = allowed(&req, settings.metrics.token.as_deref()) {
        return refused(refusal);
    }
    let mut text = collectors.collect().await;
    if let Some(recorder) = super::recorder::installed() {
        text.push_str(&recorder.render());
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(text)
}

/// A scrape without the token (401, with the scheme to use) or with a wrong one (403).
fn refused(refusal: Refusal) -> HttpResponse {
    match refusal {
        Refusal::NoToken(message) => {
            let mut response = HttpResponse::Unauthorized();
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"metrics\""));
            plain(response, message)
        }
        Refusal::Forbidden(message) => plain(HttpResponse::Forbidden(), message),
    }
}

fn plain(mut response: actix_web::HttpResponseBuilder, message: &'static str) -> HttpResponse {
    response
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_written_in_the_text_format() {
        let mut out = Exposition::default();
        out.family("voelgoed_x_total", Kind::Counter, "Xs.")
            .sample("voelgoed_x_total", &[("a", "b\"c"), ("d", "e")], 3)
            .sample("voelgoed_x_total", &[], 4);
        assert_eq!(
            out.into_text(),
            "# HELP voelgoed_x_total Xs.\n# TYPE voelgoed_x_total counter\n\
             voelgoed_x_total{a=\"b\\\"c\",d=\"e\"} 3\nvoelgoed_x_total 4\n"
        );
    }
}
