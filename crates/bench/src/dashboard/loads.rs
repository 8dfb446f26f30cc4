//! `voelgoed-bench bench-dashboard`'s page loads: timed loads with the metrics cache warm and
//! cold, and the compressed bytes of a first visit (page, htmx and CSS).

use std::time::{Duration, Instant};

use super::percentile_ms;
use super::Seeded;
use voelgoed::live::{Channel, Update, UpdateKind};
use voelgoed::startup::Services;

pub(super) async fn timed_load(client: &awc::Client, page: &str) -> anyhow::Result<Duration> {
    let sent = Instant::now();
    let mut response = client.get(page).send().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "dashboard answered {}",
        response.status()
    );
    response.body().limit(4 << 20).await?;
    Ok(sent.elapsed())
}

pub(super) async fn warm_loads(client: &awc::Client, page: &str, loads: usize) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(loads);
    for _ in 0..loads {
        times.push(timed_load(client, page).await?);
    }
    Ok(times)
}

/// Each load follows an update on the event's channel, so the cache must recompute.
pub(super) async fn cold_loads(
    client: &awc::Client,
    page: &str,
    services: &Services,
    seeded: &Seeded,
    loads: usize,
) -> anyhow::Result<Vec<Duration>> {
    let before = services.metrics.computations();
    let mut times = Vec::with_capacity(loads);
    for _ in 0..loads {
        services.bus.publish(Update {
            channel: Channel::occupancy(&seeded.tenant, seeded.event_id),
            kind: UpdateKind::OrderChanged,
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        times.push(timed_load(client, page).await?);
    }
    let recomputed = services.metrics.computations() - before;
    anyhow::ensure!(
        recomputed >= loads as u64,
        "only {recomputed} of {loads} loads were cold"
    );
    Ok(times)
}

/// `rounds` times, right after an update (the metrics must recompute), `clients` first
/// loads of the page at once, each timed on its own: organisers opening one event
/// together share one computation instead of queueing behind each other's.
pub(super) async fn concurrent_cold_loads(
    client: &awc::Client,
    page: &str,
    (services, seeded): (&Services, &Seeded),
    (rounds, clients): (usize, usize),
) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(rounds * clients);
    for _ in 0..rounds {
        services.bus.publish(Update {
            channel: Channel::occupancy(&seeded.tenant, seeded.event_id),
            kind: UpdateKind::OrderChanged,
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let loads = (0..clients).map(|_| timed_load(client, page));
        for time in futures_util::future::join_all(loads).await {
            times.push(time?);
        }
    }
    Ok(times)
}

pub(super) fn report_loads(what: &str, times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort();
    println!(
        "{what}: {} loads, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        sorted.len(),
        percentile_ms(&sorted, 0.50),
        percentile_ms(&sorted, 0.95),
        percentile_ms(&sorted, 0.99),
    );
}

/// The page and every asset it links, gzip-compressed as the server sends them.
pub(super) async fn first_visit_bytes(client: &awc::Client, page: &str) -> anyhow::Result<()> {
    let mut plain = client.get(page).send().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let html = String::from_utf8_lossy(&plain.body().limit(4 << 20).await?).to_string();
    let page_bytes = compressed_size(client, page).await?;
    let origin = page.split("/events/").next().unwrap_or(page).to_owned();
    let mut total = page_bytes;
    let mut parts = vec![format!("page {page_bytes} B")];
    for asset in html.split('"').filter(|s| s.starts_with("/assets/")) {
        let bytes = compressed_size(client, &format!("{origin}{asset}")).await?;
        total += bytes;
        parts.push(format!("{asset} {bytes} B"));
    }
    println!("first visit, compressed: {total} B ({})", parts.join(", "));
    Ok(())
}

/// Bytes on the wire when fetched with `Accept-Encoding: gzip`.
pub(super) async fn compressed_size(client: &awc::Client, url: &str) -> anyhow::Result<usize> {
    let mut response = client
        .get(url)
        .insert_header(("Accept-Encoding", "gzip"))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(response.body().limit(4 << 20).await?.len())
}
