//! The process's metrics recorder (`metrics-exporter-prometheus`, without its own HTTP
//! listener: `GET /metrics` renders it from our route). Installed once per process, by
//! the first app started with metrics on; every later app of the process (tests start
//! many) shares it. Histograms are rendered as Prometheus histograms with the buckets
//! below. A thread of its own drains them every few seconds (`MetricsSettings::upkeep_every`,
//! the first app's), so memory stays bounded whether or not anybody scrapes.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{describe_counter, describe_histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Durations, from half a millisecond (a single scan) to ten seconds (a pool wait).
const SECONDS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Scans per writer group, from one (a quiet gate) to the group's cap of 4,000.
const GROUP_SCANS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_000.0, 4_000.0,
];
static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on the first call, its histograms drained every
/// `upkeep_every`. None when another recorder was installed first (then nothing of ours
/// is recorded; the scrape still shows the values read at scrape time).
pub fn install(upkeep_every: Duration) -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| match build() {
            Ok(handle) => {
                describe();
                start_upkeep(handle.clone(), upkeep_every);
                Some(handle)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the metrics recorder");
                None
            }
        })
        .as_ref()
}

/// The recorder, when one was installed.
pub(super) fn installed() -> Option<&'static PrometheusHandle> {
    RECORDER.get()?.as_ref()
}

fn build() -> Result<PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)?
        .set_buckets_for_metric(Matcher::Full("voelgoed_scan_writer_group_scans".into()), GROUP_SCANS)?
        .install_recorder()
}

fn start_upkeep(handle: PrometheusHandle, every: Duration) {
    let started = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            handle.run_upkeep();
        });
    if let Err(e) = started {
        tracing::warn!(error = %e, "cannot start the metrics upkeep; histograms drain at each scrape");
    }
}

/// The HELP text of every metric the recorder holds (those read at scrape time carry
/// their own, see `scrape.rs`).
fn describe() {
    describe_histogram!(
        "voelgoed_http_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to its response head, by route pattern, method and status \
         (for a live stream: until it starts streaming)."
    );
    describe_histogram!(
        "voelgoed_scan_writer_group_scans",
        Unit::Count,
        "Scans decided together in one scan-writer group (one transaction)."
    );
    describe_histogram!(
        "voelgoed_scan_writer_commit_seconds",
        Unit::Seconds,
        "Time to decide and commit one scan-writer group, from its first statement to its commit."
    );
    describe_counter!(
        "voelgoed_sse_pushes_total",
        Unit::Count,
        "Live updates (frames) sent to one client; one channel update sent to N clients counts N."
    );
    describe_counter!(
        "voelgoed_sse_bytes_total",
        Unit::Bytes,
        "Bytes written to live streams before compression (updates, keep-alives), by stream kind."
    );
    describe_histogram!(
        "voelgoed_db_pool_wait_seconds",
        Unit::Seconds,
        "Time a caller waited for a pooled database connection, by pool."
    );
    describe_counter!(
        "voelgoed_db_pool_timeouts_total",
        Unit::Count,
        "Callers that gave up waiting for a pooled database connection, by pool."
    );
}
