//! What the console tells its operators: logging set-up (`RUST_LOG` wins; otherwise
//! info for us, warnings for libraries), what the access log shows of a request, and
//! the Prometheus metrics of `GET /metrics` (`recorder.rs`: the process's recorder;
//! `http.rs`: request durations; `scrape.rs`: values read at scrape time and the route).

mod access;
mod http;
mod observe;
mod recorder;
mod scrape;

pub use http::record_requests;
pub use observe::Observed;
pub use recorder::install;
pub use scrape::{metrics, Collectors, Exposition, Kind};

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,voelgoed=info,voelgoed::http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The request as the access log shows it: method and path, with the secret of a kiosk
/// link cut out (whoever reads the log must not be able to open the display) and the
/// query string left out (it holds buyers' names and e-mail addresses when searched).
pub fn logged_request(req: &actix_web::dev::ServiceRequest) -> String {
    logged(req.request())
}

/// Whether the access log (`voelgoed::http` at info) writes anything: off by default.
pub fn access_logged() -> bool {
    tracing::enabled!(target: "voelgoed::http", tracing::Level::INFO)
}

/// `logged_request` of a request already answered.
fn logged(req: &actix_web::HttpRequest) -> String {
    let path = req.path();
    let path = match path.strip_prefix("/kiosk/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, tail)) => format!("/kiosk/…/{tail}"),
            None => "/kiosk/…".to_owned(),
        },
        None => path.to_owned(),
    };
    let query = if req.query_string().is_empty() { "" } else { "?…" };
    format!("{} {path}{query}", req.method())
}
