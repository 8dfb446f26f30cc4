//! `voelgoed bench-scans`: a load generator for the device API. It seeds a fresh
//! database, starts the real server in this process, drives `POST /api/v1/scans` over
//! real HTTP from many simulated devices, reports throughput and latency percentiles,
//! and finally checks that the database holds exactly as many scans as were acknowledged.
//! `dashboard` is the event dashboard's benchmark (`voelgoed bench-dashboard`).

pub mod dashboard;

pub mod orders;

use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;
use futures_util::future::join_all;

use crate::demo::bulk::{EventToFill, OrderWriter, TypeToFill};
use voelgoed::app::Application;
use voelgoed::config::Settings;
use voelgoed::db::schema::{scans, tickets};
use voelgoed::db::{self, DatabaseUrl, Pool};
use voelgoed::provisioning::{self, NewEvent};

#[derive(clap::Args, Debug)]
pub struct BenchOptions {
    /// Database for the run (a new SQLite file in a temporary folder when omitted).
    #[arg(long)]
    database: Option<String>,
    /// Concurrent devices sending one scan per request.
    #[arg(long, default_value_t = 64)]
    devices: usize,
    /// Seconds of single-scan load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Devices that come back online at once, each with a backlog of batches.
    #[arg(long, default_value_t = 150)]
    wave_devices: usize,
    /// Batches of 500 scans each wave device sends.
    #[arg(long, default_value_t = 4)]
    wave_batches: usize,
    /// Scaled out: run two instances on `--database` (PostgreSQL) sharing this Redis,
    /// devices split between them, and report Redis's command counts per scan group.
    #[arg(long)]
    redis: Option<String>,
}

struct Device {
    token: String,
    codes: Vec<String>,
}

pub async fn run(options: BenchOptions) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let url = match &options.database {
        Some(raw) => DatabaseUrl::parse(raw).map_err(anyhow::Error::msg)?,
        None => DatabaseUrl::Sqlite(format!("{}/bench.sqlite", dir.display())),
    };
    let device_count = options.devices.max(options.wave_devices);
    let tickets = (options.wave_devices * 500).max(200_000);
    println!("seeding {tickets} tickets and {device_count} devices …");
    let seed_url = url.clone();
    let devices = tokio::task::spawn_blocking(move || seed(&seed_url, device_count, tickets)).await??;
    let mut settings = Settings::new("127.0.0.1:0", url);
    settings.redis = options.redis.as_ref().map(|redis| voelgoed::config::RedisSettings {
        prefix: format!("bench-{}", voelgoed::auth::random_token()),
        ..voelgoed::config::RedisSettings::new(redis)
    });
    let instances = if settings.redis.is_some() { 2 } else { 1 };
    let mut bases = Vec::new();
    let mut servers = Vec::new();
    let mut pool = None;
    for _ in 0..instances {
        let app = Application::build(settings.clone()).await?;
        bases.push(format!("http://{}", app.address()));
        pool.get_or_insert_with(|| app.services().pool.get_ref().clone());
        servers.push(actix_web::rt::spawn(app.run_until_stopped()));
    }
    let pool = pool.context("no instance started")?;
    println!(
        "{instances} instance(s) on {}; {} cores",
        bases.join(", "),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let before = redis_commands(options.redis.as_deref()).await?;

    let single = single_scans(
        &bases,
        &devices[..options.devices],
        Duration::from_secs(options.seconds),
    )
    .await;
    report("single-scan requests", &single, 1);
    let wave = reconnect_wave(&bases, &devices[..options.wave_devices], options.wave_batches).await;
    report("batches of 500 (reconnect wave)", &wave, 500);
    if let Some(after) = redis_commands(options.redis.as_deref()).await? {
        report_redis(&before.unwrap_or_default(), &after, single.requests + wave.requests);
    }

    let acknowledged = (single.acknowledged + wave.acknowledged) as i64;
    let stored: i64 = tokio::task::spawn_blocking(move || -> anyhow::Result<i64> {
        Ok(scans::table.count().get_result(&mut *pool.get()?)?)
    })
    .await??;
    println!("acknowledged scans: {acknowledged}; scans in the database: {stored}");
    servers.iter().for_each(|server| server.abort());
    anyhow::ensure!(
        stored == acknowledged,
        "the database holds {stored} scans but {acknowledged} were acknowledged"
    );
    println!("OK: every acknowledged scan is in the database, and nothing else");
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("voelgoed-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// One organisation with one big event, its tickets, and devices spread over 10 gates.
fn seed(url: &DatabaseUrl, devices: usize, tickets_wanted: usize) -> anyhow::Result<Vec<Device>> {
    let pool: Pool = db::connect(url).context("cannot open the bench database")?;
    db::migrate(&pool)?;
    let mut conn = pool.get()?;
    let tenant = provisioning::create_organization(&mut conn, "Bench Festival Org", "Europe/Amsterdam")?;
    let owner = provisioning::create_user_with_hash(
        &mut conn,
        &tenant,
        "owner@bench.test",
        "Bench",
        "!",
        voelgoed::auth::Role::Owner,
    )?;
    let now = db::now_ms();
    let event = NewEvent {
        name: "Bench Festival",
        venue: "Bench Park",
        starts_at: now - 3_600_000,
        ends_at: now + 86_400_000,
        timezone: "Europe/Amsterdam",
        capacity: 10_000_000,
        currency: "EUR",
        sales_open_at: now - 86_400_000,
    };
    let event_id = provisioning::create_event(&mut conn, &tenant, &event)?;
    let type_id = provisioning::create_ticket_type(&mut conn, &tenant, event_id, "Day", 5_000, 10_000_000)?;
    let mut writer = OrderWriter::new(&mut conn)?;
    let mut fill = EventToFill {
        event_id,
        ticket_types: vec![TypeToFill {
            id: type_id,
            price: 5_000,
            left: tickets_wanted as i64,
        }],
        sold_from: now - 86_400_000,
        sold_until: now,
        max_tickets: 4,
    };
    while writer.add_order(&tenant, &mut fill, owner) {}
    writer.flush(&mut conn)?;
    writer.finish(&mut conn)?;
    let codes: Vec<String> = tickets::table
        .filter(tickets::event_id.eq(event_id))
        .select(tickets::code)
        .load(&mut *conn)?;
    let mut result = Vec::with_capacity(devices);
    for n in 0..devices {
        let gate_id = provisioning::find_or_create_gate(&mut conn, &tenant, event_id, &format!("Gate {}", n % 10 + 1))?;
        let (_, token) = provisioning::create_device(&mut conn, &tenant, event_id, gate_id, &format!("Scanner {n}"))?;
        let share: Vec<String> = codes.iter().skip(n).step_by(devices).cloned().collect();
        result.push(Device { token, codes: share });
    }
    Ok(result)
}

#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    requests: usize,
    acknowledged: usize,
    failed: usize,
    elapsed: Duration,
}

/// Each device posts one scan per request, back to back, for `length`.
async fn single_scans(bases: &[String], devices: &[Device], length: Duration) -> Outcome {
    let started = Instant::now();
    let lanes = devices.iter().enumerate().map(|(lane, device)| async move {
        let base = &bases[lane % bases.len()];
        let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
        let mut outcome = Outcome::default();
        let mut n = 0usize;
        while started.elapsed() < length {
            let code = &device.codes[n % device.codes.len()];
            // Alternate entries and exits so every round is a real admission decision.
            let direction = if (n / device.codes.len()).is_multiple_of(2) {
                "in"
            } else {
                "out"
            };
            let body = serde_json::json!({ "scans": [scan_json(&format!("s{lane}-{n}"), code, direction)] });
            post(&client, base, &device.token, &body, 1, &mut outcome).await;
            n += 1;
        }
        outcome
    });
    merge(join_all(lanes).await, started.elapsed())
}

/// Every device at once sends its backlog: `batches` batches of 500 scans each.
async fn reconnect_wave(bases: &[String], devices: &[Device], batches: usize) -> Outcome {
    let started = Instant::now();
    let lanes = devices.iter().enumerate().map(|(lane, device)| async move {
        let base = &bases[lane % bases.len()];
        let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
        let mut outcome = Outcome::default();
        for b in 0..batches {
            let scans: Vec<_> = (0..500)
                .map(|i| {
                    let code = &device.codes[(b * 500 + i) % device.codes.len()];
                    scan_json(&format!("w{lane}-{b}-{i}"), code, "in")
                })
                .collect();
            post(
                &client,
                base,
                &device.token,
                &serde_json::json!({ "scans": scans }),
                500,
                &mut outcome,
            )
            .await;
        }
        outcome
    });
    merge(join_all(lanes).await, started.elapsed())
}

fn scan_json(id: &str, code: &str, direction: &str) -> serde_json::Value {
    serde_json::json!({ "id": id, "ticket_code": code, "direction": direction, "scanned_at": chrono::Utc::now().to_rfc3339() })
}

async fn post(
    client: &awc::Client,
    base: &str,
    token: &str,
    body: &serde_json::Value,
    scans: usize,
    outcome: &mut Outcome,
) {
    let sent = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/scans"))
        .bearer_auth(token)
        .send_json(body)
        .await;
    outcome.requests += 1;
    match response {
        Ok(mut response) if response.status().is_success() => {
            // Read the answers: a scan counts as acknowledged once its answer is in hand.
            if response.body().limit(1 << 20).await.is_ok() {
                outcome.latencies.push(sent.elapsed());
                outcome.acknowledged += scans;
            } else {
                outcome.failed += 1;
            }
        }
        _ => outcome.failed += 1,
    }
}

fn merge(lanes: Vec<Outcome>, elapsed: Duration) -> Outcome {
    let mut all = Outcome {
        elapsed,
        ..Outcome::default()
    };
    for lane in lanes {
        all.latencies.extend(lane.latencies);
        all.requests += lane.requests;
        all.acknowledged += lane.acknowledged;
        all.failed += lane.failed;
    }
    all.latencies.sort();
    all
}

/// The `p` quantile of sorted durations, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted.get(at).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn report(what: &str, outcome: &Outcome, scans_per_request: usize) {
    let percentile = |p: f64| percentile_ms(&outcome.latencies, p);
    let seconds = outcome.elapsed.as_secs_f64().max(f64::EPSILON);
    println!(
        "{what}: {} requests in {seconds:.1} s = {:.0} req/s, {:.0} scan decisions/s; latency p50 {:.1} ms, p99 {:.1} ms; {} failed ({} scans per request)",
        outcome.requests,
        outcome.requests as f64 / seconds,
        outcome.acknowledged as f64 / seconds,
        percentile(0.50),
        percentile(0.99),
        outcome.failed,
        scans_per_request,
    );
}

/// Calls per Redis command so far (`INFO commandstats`), when benchmarking with Redis.
async fn redis_commands(url: Option<&str>) -> anyhow::Result<Option<std::collections::HashMap<String, u64>>> {
    let Some(url) = url else { return Ok(None) };
    let client = redis::Client::open(url)?;
    let mut conn = tokio::time::timeout(Duration::from_secs(2), client.get_multiplexed_async_connection()).await??;
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(&mut conn).await?;
    let calls = info
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest.split(',').find_map(|kv| kv.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect();
    Ok(Some(calls))
}

fn report_redis(
    before: &std::collections::HashMap<String, u64>,
    after: &std::collections::HashMap<String, u64>,
    requests: usize,
) {
    let delta = |name: &str| after.get(name).copied().unwrap_or(0) - before.get(name).copied().unwrap_or(0);
    let groups = delta("evalsha") + delta("eval");
    println!(
        "redis: {groups} counted scan groups (one Lua call each) for {requests} requests; per group: {:.2} XADD (scan-log rows), {:.2} PUBLISH; XREAD {} and HGETALL {} (readers) in all",
        delta("xadd") as f64 / groups.max(1) as f64,
        delta("publish") as f64 / groups.max(1) as f64,
        delta("xread"),
        delta("hgetall"),
    );
}
