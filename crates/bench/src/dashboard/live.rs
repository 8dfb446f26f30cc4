//! `voelgoed-bench bench-dashboard`'s live phase: tickets sell and people are scanned in at the
//! given rates while an open dashboard's stream is read, to see how far each number
//! trails the database and how big each pushed update is.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use futures_util::StreamExt;

use super::{percentile_ms, scan_json};
use super::{DashboardBenchOptions, Seeded};
use voelgoed::db::schema::tickets;
use voelgoed::db::{self, Tenant};
use voelgoed::orders::{self, NewOrder, OrderItem, TicketStatus};
use voelgoed::startup::Services;

/// When the database reached a count, and when the dashboard first showed it.
pub(super) type Marks = Arc<Mutex<Vec<(Instant, i64)>>>;

/// `bases`: where scans are posted, and where the stream is read.
pub(super) async fn live_phase(
    [base, stream_base]: [&str; 2],
    client: &awc::Client,
    services: &Services,
    seeded: Seeded,
    options: &DashboardBenchOptions,
) -> anyhow::Result<()> {
    let length = Duration::from_secs(options.seconds);
    let (sold_in_db, inside_in_db, sold_shown, inside_shown): (Marks, Marks, Marks, Marks) = Default::default();
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let stream = client
        .get(format!("{stream_base}/sse/events/{}/occupancy", seeded.event_id))
        .timeout(length * 3)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let reader = actix_web::rt::spawn(read_updates(
        stream,
        sold_shown.clone(),
        inside_shown.clone(),
        sizes.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let computations = services.metrics.computations();

    let seller = tokio::task::spawn_blocking({
        let (services, marks) = (services.clone(), sold_in_db.clone());
        let (tenant, event_id, type_id, rate) = (seeded.tenant, seeded.event_id, seeded.type_id, options.sell_rate);
        move || sell(&services, tenant, event_id, type_id, rate, length, &marks)
    });
    let scanner = scan(base, &seeded, options.scan_rate, length, services, inside_in_db.clone());
    let (sold, admitted) = tokio::join!(seller, scanner);
    let (sold, admitted) = (sold??, admitted?);
    tokio::time::sleep(Duration::from_secs(2)).await;
    reader.abort();

    println!(
        "live: sold {sold} tickets and admitted {admitted} people in {} s; metrics computed {} times",
        options.seconds,
        services.metrics.computations() - computations
    );
    report_lag("sold", &sold_in_db, &sold_shown);
    report_lag("inside", &inside_in_db, &inside_shown);
    let mut sizes = sizes.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
    sizes.sort();
    let per_second = sizes.len() as f64 / (options.seconds as f64 + 2.0);
    println!(
        "pushed updates: {} messages ({per_second:.1}/s), bytes each p50 {} max {}",
        sizes.len(),
        sizes.get(sizes.len() / 2).copied().unwrap_or(0),
        sizes.last().copied().unwrap_or(0)
    );
    Ok(())
}

/// Reads the dashboard's SSE messages, noting when each count was shown.
pub(super) async fn read_updates<S>(
    mut stream: awc::ClientResponse<S>,
    sold: Marks,
    inside: Marks,
    sizes: Arc<Mutex<Vec<usize>>>,
) where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let mut buffer = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            let data: String = message.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
            if data.is_empty() {
                continue;
            }
            let now = Instant::now();
            if let Ok(mut sizes) = sizes.lock() {
                sizes.push(message.len());
            }
            for (metric, marks) in [("sold", &sold), ("inside", &inside)] {
                if let (Some(n), Ok(mut marks)) = (metric_in(&data, metric), marks.lock()) {
                    marks.push((now, n));
                }
            }
        }
    }
}

/// The number in `data-metric="name">1,234<`.
pub(super) fn metric_in(html: &str, name: &str) -> Option<i64> {
    crate::number_after(html, &format!("data-metric=\"{name}\">"))
}

/// Sells `rate` tickets a second in orders of 1–4, noting the total after each commit.
pub(super) fn sell(
    services: &Services,
    tenant: Tenant,
    event_id: i64,
    type_id: i64,
    rate: i64,
    length: Duration,
    marks: &Marks,
) -> anyhow::Result<i64> {
    let mut conn = services.pool.get()?;
    let start_total: i64 = tickets::table
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::status.eq(TicketStatus::Valid))
        .count()
        .get_result(&mut conn)?;
    let started = Instant::now();
    let mut sold = 0;
    while started.elapsed() < length {
        let due = (started.elapsed().as_secs_f64() * rate as f64) as i64;
        if sold >= due {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        let quantity = 1 + sold % 4;
        let order = NewOrder {
            event_id,
            buyer_name: "Bench Buyer".into(),
            buyer_email: "bench@example.test".into(),
            items: vec![OrderItem {
                ticket_type_id: type_id,
                quantity,
            }],
            created_at: db::now_ms(),
        };
        anyhow::ensure!(
            orders::sell(&mut conn, services.bus.get_ref(), &tenant, &order)?.is_some(),
            "sold out"
        );
        sold += quantity;
        if let Ok(mut marks) = marks.lock() {
            marks.push((Instant::now(), start_total + sold));
        }
    }
    Ok(sold)
}

/// Scans people in through the device API, `rate` a second in batches every 100 ms,
/// noting the number inside after each answered batch.
pub(super) async fn scan(
    base: &str,
    seeded: &Seeded,
    rate: i64,
    length: Duration,
    services: &Services,
    marks: Marks,
) -> anyhow::Result<i64> {
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let start_inside = services
        .scan_counters
        .occupancy(&seeded.tenant, seeded.event_id)
        .await?;
    let per_batch = (rate / 10).max(1) as usize;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let (started, mut admitted, mut next) = (Instant::now(), 0i64, 0usize);
    while started.elapsed() < length && next < seeded.outside.len() {
        tick.tick().await;
        let scans: Vec<_> = seeded.outside[next..(next + per_batch).min(seeded.outside.len())]
            .iter()
            .enumerate()
            .map(|(i, code)| scan_json(&format!("dash-{}", next + i), code, "in"))
            .collect();
        next += scans.len();
        let mut response = client
            .post(format!("{base}/api/v1/scans"))
            .bearer_auth(&seeded.device_token)
            .send_json(&serde_json::json!({ "scans": scans }))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let answers: serde_json::Value = response.json().limit(1 << 20).await?;
        let valid = answers["results"]
            .as_array()
            .map_or(0, |r| r.iter().filter(|a| a["result"] == "valid").count());
        admitted += valid as i64;
        if let Ok(mut marks) = marks.lock() {
            marks.push((Instant::now(), start_inside + admitted));
        }
    }
    Ok(admitted)
}

/// For every count the database reached: how long until the dashboard showed it.
pub(super) fn report_lag(what: &str, in_db: &Marks, shown: &Marks) {
    let (Ok(in_db), Ok(shown)) = (in_db.lock(), shown.lock()) else {
        return;
    };
    let mut lags: Vec<Duration> = Vec::new();
    let mut never = 0;
    for &(at, count) in in_db.iter() {
        match shown.iter().find(|(seen, n)| *n >= count && *seen >= at) {
            Some((seen, _)) => lags.push(*seen - at),
            None => never += 1,
        }
    }
    lags.sort();
    println!(
        "{what}: {} changes; shown after p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; never shown {never}",
        lags.len(),
        percentile_ms(&lags, 0.50),
        percentile_ms(&lags, 0.99),
        lags.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
}
