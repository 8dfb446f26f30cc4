//! `voelgoed bench-dashboard`: the event dashboard on an event with a million sold
//! tickets. Seeds a fresh database, starts the real server in this process, and over
//! real HTTP measures the first load with the metrics cache warm and cold, the bytes of
//! a first visit (page, htmx and CSS, compressed), and then, while tickets sell and
//! people are scanned in at the given rates, how far each number on an open dashboard
//! trails the database and how big each pushed update is.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use futures_util::StreamExt;

use super::{percentile_ms, scan_json, tempfile_dir};
use crate::demo::bulk::{EventToFill, OrderWriter, TypeToFill};
use voelgoed::app::{Application, Services};
use voelgoed::auth::{open_session, Role, SESSION_COOKIE};
use voelgoed::config::Settings;
use voelgoed::db::schema::tickets;
use voelgoed::db::{self, DatabaseUrl, Pool, Tenant};
use voelgoed::live::{Channel, Update, UpdateKind};
use voelgoed::orders::{self, NewOrder, OrderItem, TicketStatus};
use voelgoed::provisioning::{self, NewEvent};

#[derive(clap::Args, Debug)]
pub struct DashboardBenchOptions {
    /// Database for the run (a new SQLite file in a temporary folder when omitted).
    #[arg(long)]
    database: Option<String>,
    /// Sold tickets of the event.
    #[arg(long, default_value_t = 1_000_000)]
    tickets: i64,
    /// Page loads per measurement (warm; a tenth as many cold).
    #[arg(long, default_value_t = 200)]
    loads: usize,
    /// Tickets sold per second during the live phase.
    #[arg(long, default_value_t = 500)]
    sell_rate: i64,
    /// People scanned in per second during the live phase.
    #[arg(long, default_value_t = 500)]
    scan_rate: i64,
    /// Seconds of the live phase.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Scaled out: a second instance on the same database (PostgreSQL) and this Redis;
    /// sales and scans go through the first, the dashboard stream is read from the
    /// second, so the lags are cross-instance.
    #[arg(long)]
    redis: Option<String>,
}

/// What the benchmark's organiser and devices need.
struct Seeded {
    tenant: Tenant,
    event_id: i64,
    type_id: i64,
    user_id: i64,
    device_token: String,
    /// Valid tickets not inside yet, to scan in.
    outside: Vec<String>,
}

pub async fn run(options: DashboardBenchOptions) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let url = match &options.database {
        Some(raw) => DatabaseUrl::parse(raw).map_err(anyhow::Error::msg)?,
        None => DatabaseUrl::Sqlite(format!("{}/dashboard.sqlite", dir.display())),
    };
    println!("seeding an event with {} sold tickets …", options.tickets);
    let started = Instant::now();
    let seed_url = url.clone();
    let tickets_wanted = options.tickets;
    let seeded = tokio::task::spawn_blocking(move || seed(&seed_url, tickets_wanted)).await??;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    let mut settings = Settings::new("127.0.0.1:0", url);
    settings.redis = options.redis.as_ref().map(|redis| voelgoed::config::RedisSettings {
        prefix: format!("bench-{}", voelgoed::auth::random_token()),
        ..voelgoed::config::RedisSettings::new(redis)
    });
    let app = Application::build(settings.clone()).await?;
    let (base, services) = (format!("http://{}", app.address()), app.services().clone());
    let server = actix_web::rt::spawn(app.run_until_stopped());
    // Scaled out, the live phase reads its stream from a second instance.
    let (stream_base, second) = match settings.redis.is_some() {
        true => {
            let other = Application::build(settings).await?;
            let base = format!("http://{}", other.address());
            println!("second instance on {base}: the dashboard stream is read there");
            (base, Some(actix_web::rt::spawn(other.run_until_stopped())))
        }
        false => (base.clone(), None),
    };
    let user_id = seeded.user_id;
    let session = db::run(&services.pool, move |conn| Ok(open_session(conn, user_id, 86_400_000)?)).await?;
    let page = format!("{base}/events/{}", seeded.event_id);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .add_default_header(("Cookie", format!("{SESSION_COOKIE}={session}")))
        .finish();

    let first = timed_load(&client, &page).await?;
    println!("very first load after start-up: {:.1} ms", first.as_secs_f64() * 1000.0);
    let warm = warm_loads(&client, &page, options.loads).await?;
    report_loads("first load, metrics cached (warm)", &warm);
    let cold = cold_loads(&client, &page, &services, &seeded, (options.loads / 10).max(5)).await?;
    report_loads("first load, metrics recomputed (cold)", &cold);
    first_visit_bytes(&client, &page).await?;
    live_phase([&base, &stream_base], &client, &services, seeded, &options).await?;
    server.abort();
    second.iter().for_each(|server| server.abort());
    Ok(())
}

/// One organisation, one event, four ticket types, `wanted` sold tickets over the last
/// 30 days (half of them inside), and a scanning device.
fn seed(url: &DatabaseUrl, wanted: i64) -> anyhow::Result<Seeded> {
    let pool: Pool = db::connect(url).context("cannot open the bench database")?;
    db::migrate(&pool)?;
    let mut conn = pool.get()?;
    let tenant = provisioning::create_organization(&mut conn, "Dashboard Bench Org", "Europe/Amsterdam")?;
    let user_id =
        provisioning::create_user_with_hash(&mut conn, &tenant, "owner@dash.test", "Bench", "!", Role::Owner)?;
    let now = db::now_ms();
    let event = NewEvent {
        name: "Million Festival",
        venue: "Bench Park",
        starts_at: now - 3_600_000,
        ends_at: now + 86_400_000,
        timezone: "Europe/Amsterdam",
        capacity: wanted * 2,
        currency: "EUR",
        sales_open_at: now - 30 * 86_400_000,
    };
    let event_id = provisioning::create_event(&mut conn, &tenant, &event)?;
    let mut types = Vec::new();
    for (name, price, share) in [
        ("Day", 5_000, 55),
        ("Weekend", 9_000, 25),
        ("Early bird", 3_900, 12),
        ("VIP", 15_000, 8),
    ] {
        let capacity = wanted * share / 100 + wanted;
        let id = provisioning::create_ticket_type(&mut conn, &tenant, event_id, name, price, capacity)?;
        types.push(TypeToFill {
            id,
            price,
            left: wanted * share / 100,
        });
    }
    let type_id = types[0].id;
    let mut fill = EventToFill {
        event_id,
        ticket_types: types,
        sold_from: now - 30 * 86_400_000,
        sold_until: now - 60_000,
        max_tickets: 4,
    };
    let mut writer = OrderWriter::new(&mut conn)?;
    while writer.add_order(&tenant, &mut fill, user_id) {
        if writer.pending_orders() >= 50_000 {
            writer.flush(&mut conn)?;
        }
    }
    writer.flush(&mut conn)?;
    writer.finish(&mut conn)?;
    // Half the valid tickets are inside, since they were bought (as a seed; counters
    // are rebuilt from this at start-up).
    diesel::sql_query(format!(
        "UPDATE tickets SET inside_since = created_at WHERE event_id = {event_id} AND status = 'valid' AND id % 2 = 0"
    ))
    .execute(&mut conn)?;
    let outside: Vec<String> = tickets::table
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::status.eq(TicketStatus::Valid))
        .filter(tickets::inside_since.is_null())
        .select(tickets::code)
        .limit(200_000)
        .load(&mut conn)?;
    let gate = provisioning::find_or_create_gate(&mut conn, &tenant, event_id, "Main")?;
    let (_, device_token) = provisioning::create_device(&mut conn, &tenant, event_id, gate, "Bench scanner")?;
    Ok(Seeded {
        tenant,
        event_id,
        type_id,
        user_id,
        device_token,
        outside,
    })
}

async fn timed_load(client: &awc::Client, page: &str) -> anyhow::Result<Duration> {
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

async fn warm_loads(client: &awc::Client, page: &str, loads: usize) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(loads);
    for _ in 0..loads {
        times.push(timed_load(client, page).await?);
    }
    Ok(times)
}

/// Each load follows an update on the event's channel, so the cache must recompute.
async fn cold_loads(
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

fn report_loads(what: &str, times: &[Duration]) {
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
async fn first_visit_bytes(client: &awc::Client, page: &str) -> anyhow::Result<()> {
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
async fn compressed_size(client: &awc::Client, url: &str) -> anyhow::Result<usize> {
    let mut response = client
        .get(url)
        .insert_header(("Accept-Encoding", "gzip"))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(response.body().limit(4 << 20).await?.len())
}

/// When the database reached a count, and when the dashboard first showed it.
type Marks = Arc<Mutex<Vec<(Instant, i64)>>>;

/// `bases`: where scans are posted, and where the stream is read.
async fn live_phase(
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
async fn read_updates<S>(mut stream: awc::ClientResponse<S>, sold: Marks, inside: Marks, sizes: Arc<Mutex<Vec<usize>>>)
where
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
fn metric_in(html: &str, name: &str) -> Option<i64> {
    let marker = format!("data-metric=\"{name}\">");
    let start = html.find(&marker)? + marker.len();
    let digits: String = html[start..]
        .chars()
        .take_while(|c| *c != '<')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Sells `rate` tickets a second in orders of 1–4, noting the total after each commit.
fn sell(
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
async fn scan(
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
fn report_lag(what: &str, in_db: &Marks, shown: &Marks) {
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
