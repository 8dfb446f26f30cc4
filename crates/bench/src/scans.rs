//! `voelgoed-bench bench-scans`: a load generator for the device API. It seeds a fresh
//! database, starts the real server in this process, drives `POST /api/v1/scans` over
//! real HTTP from many simulated devices, reports throughput and latency percentiles,
//! and finally checks that the database holds exactly as many scans as were acknowledged.

use std::time::Duration;

use anyhow::Context;
use diesel::prelude::*;
use voelgoed::config::Settings;
use voelgoed::db::schema::scans;
use voelgoed::db::{self, DatabaseUrl, Pool};
use voelgoed::provisioning;
use voelgoed::provisioning::bulk::{ticket_codes, Codes, EventToFill, OrderWriter, TypeToFill};
use voelgoed::startup::Application;

use super::scan_load::{reconnect_wave, redis_commands, report, report_redis, single_scans, Device};
use super::tempfile_dir;

#[derive(clap::Args, Debug)]
pub struct BenchOptions {
    /// Database for the run (a new SQLite file in a temporary folder when omitted).
    #[arg(long)]
    pub(super) database: Option<String>,
    /// Concurrent devices sending one scan per request.
    #[arg(long, default_value_t = 64)]
    pub(super) devices: usize,
    /// Seconds of single-scan load.
    #[arg(long, default_value_t = 10)]
    pub(super) seconds: u64,
    /// Devices that come back online at once, each with a backlog of batches.
    #[arg(long, default_value_t = 150)]
    pub(super) wave_devices: usize,
    /// Batches of 500 scans each wave device sends.
    #[arg(long, default_value_t = 4)]
    pub(super) wave_batches: usize,
    /// Scaled out: run two instances on `--database` (PostgreSQL) sharing this Redis,
    /// devices split between them, and report Redis's command counts per scan group.
    #[arg(long)]
    pub(super) redis: Option<String>,
    /// `off`: the server records no metrics (to measure what they cost). `on|off`, as
    /// `voelgoed serve --metrics`.
    #[arg(long, default_value = "on", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub(super) metrics: bool,
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
    settings.redis = super::redis_settings(options.redis.as_ref());
    settings.metrics.enabled = options.metrics;
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
        "{instances} instance(s) on {}; {} cores; metrics {}",
        bases.join(", "),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if options.metrics { "on" } else { "off" }
    );
    let before = redis_commands(options.redis.as_deref()).await?;

    let length = Duration::from_secs(options.seconds);
    // Scaled out: the same load on one instance first, so the run shows what the second adds.
    let alone = match instances {
        1 => None,
        _ => Some(single_scans(&bases[..1], &devices[..options.devices], length, "one-").await),
    };
    if let Some(alone) = &alone {
        report("single-scan requests on one instance", alone, 1);
    }
    let cpu_before = super::process_cpu_seconds();
    let single = single_scans(&bases, &devices[..options.devices], length, "s").await;
    report("single-scan requests", &single, 1);
    if let Some(alone) = &alone {
        let rate = |outcome: &super::scan_load::Outcome| outcome.requests as f64 / outcome.elapsed.as_secs_f64();
        println!(
            "{instances} instances against one: {:.2}x the requests per second",
            rate(&single) / rate(alone).max(f64::MIN_POSITIVE)
        );
    }
    let cpu = super::process_cpu_seconds() - cpu_before;
    println!(
        "single-scan CPU: {:.0} µs per request (server and load generator, {cpu:.2} s in all)",
        cpu * 1e6 / single.requests.max(1) as f64
    );
    let wave = reconnect_wave(&bases, &devices[..options.wave_devices], options.wave_batches).await;
    report("batches of 500 (reconnect wave)", &wave, 500);
    if let Some(after) = redis_commands(options.redis.as_deref()).await? {
        let alone_requests = alone.as_ref().map_or(0, |alone| alone.requests);
        report_redis(
            &before.unwrap_or_default(),
            &after,
            alone_requests + single.requests + wave.requests,
        );
    }

    let first = alone.as_ref().map_or(0, |alone| alone.acknowledged);
    let acknowledged = (first + single.acknowledged + wave.acknowledged) as i64;
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
    // The run's temporary database (over 100 MB) goes; a failed run keeps it to look at.
    let _ = std::fs::remove_dir_all(&dir);
    println!("OK: every acknowledged scan is in the database, and nothing else");
    Ok(())
}

/// One organisation with one big event, its tickets, and devices spread over 10 gates.
pub(super) fn seed(url: &DatabaseUrl, devices: usize, tickets_wanted: usize) -> anyhow::Result<Vec<Device>> {
    let pool: Pool = db::connect_for_bulk_writes(url).context("cannot open the bench database")?;
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
    let event = super::event_under_way("Bench Festival", 10_000_000, now - 86_400_000);
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
    // Refunded and cancelled tickets too: the gates refuse some scans, as at a real gate.
    let codes = ticket_codes(&mut conn, &tenant, event_id, Codes::Every, None)?;
    let mut result = Vec::with_capacity(devices);
    for n in 0..devices {
        let gate_id = provisioning::find_or_create_gate(&mut conn, &tenant, event_id, &format!("Gate {}", n % 10 + 1))?;
        let (_, token) = provisioning::create_device(&mut conn, &tenant, event_id, gate_id, &format!("Scanner {n}"))?;
        let share: Vec<String> = codes.iter().skip(n).step_by(devices).cloned().collect();
        result.push(Device { token, codes: share });
    }
    Ok(result)
}
