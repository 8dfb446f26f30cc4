//! `voelgoed-bench`: the benchmarks (see BENCHMARKS.md), each on the real server in this
//! process over real HTTP: `scans` (`bench-scans`, the device API under load, with
//! `scan_load`), `dashboard` (`bench-dashboard`), `orders` (`bench-orders`), `fanout`
//! (`bench-fanout`, thousands of live streams, on a `voelgoed serve` process of its own),
//! and what they share; `pages` (`bench-pages`) measures a server already running;
//! `bulk` (`bench-bulk`) times bulk resend jobs; `costs` (`bench-costs`) runs one hot
//! path for callgrind's instruction counts. A binary of its own so the server binary
//! carries none of it; it writes its data through the library's API.

mod bulk;
mod costs;
mod dashboard;
mod fanout;
mod orders;
mod pages;
mod scan_load;
mod scans;

use clap::{Parser, Subcommand};

/// The server binary's allocator, so the server measured here allocates as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "voelgoed-bench",
    version,
    about = "Voelgoed's benchmarks (see BENCHMARKS.md)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Each keeps the name it had as a `voelgoed` subcommand (`bench-scans` …), so scripts
/// and BENCHMARKS.md's commands change only in the binary's name.
#[derive(Subcommand, Debug)]
enum Command {
    /// Time the order list's filters, searches and pages on a seeded SQLite database,
    /// show their query plans and the CSV export's memory (see BENCHMARKS.md).
    #[command(name = "bench-orders")]
    Orders(orders::OrderBenchOptions),
    /// Load-test the device API on a fresh database and check every acknowledged scan
    /// was stored (see BENCHMARKS.md).
    #[command(name = "bench-scans")]
    Scans(scans::BenchOptions),
    /// Benchmark the event dashboard on an event with a million sold tickets.
    #[command(name = "bench-dashboard")]
    Dashboard(dashboard::DashboardBenchOptions),
    /// Time pages and htmx fragments of a running server over a reused keep-alive
    /// connection and over fresh ones (see BENCHMARKS.md).
    #[command(name = "bench-pages")]
    Pages(pages::PagesBenchOptions),
    /// Thousands of SSE clients on one server process while scans flow: delivery
    /// latency, losses, memory and CPU per client, slow readers, reconnect storms.
    #[command(name = "bench-fanout")]
    Fanout(fanout::FanoutOptions),
    /// Time bulk resend jobs (10,000 orders each) on a seeded database (see BENCHMARKS.md).
    #[command(name = "bench-bulk")]
    Bulk(bulk::BulkBenchOptions),
    /// Run one hot path on a small fixture between callgrind's start and stop requests,
    /// for scripts/costs.sh's instruction counts (see BENCHMARKS.md).
    #[command(name = "bench-costs")]
    Costs(costs::CostOptions),
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    voelgoed::telemetry::init();
    let outcome = match Cli::parse().command {
        Command::Orders(options) => orders::run(options).await,
        Command::Scans(options) => scans::run(options).await,
        Command::Dashboard(options) => dashboard::run(options).await,
        Command::Pages(options) => pages::run(options).await,
        Command::Fanout(options) => fanout::run(options).await,
        Command::Bulk(options) => bulk::run(options).await,
        Command::Costs(options) => costs::run(options).await,
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("voelgoed-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

use std::time::Duration;

/// A folder for the run's database, named after this process.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("voelgoed-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// One scan of the device API's batch, scanned now.
fn scan_json(id: &str, code: &str, direction: &str) -> serde_json::Value {
    serde_json::json!({ "id": id, "ticket_code": code, "direction": direction, "scanned_at": chrono::Utc::now().to_rfc3339() })
}

/// The number just after `marker` in a page or fragment (`1,234<` → 1234).
fn number_after(html: &str, marker: &str) -> Option<i64> {
    let start = html.find(marker)? + marker.len();
    let digits: String = html[start..]
        .chars()
        .take_while(|c| *c != '<')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// An event under way now (started an hour ago, ends tomorrow) at the benches' venue,
/// on sale since `sales_open_at`.
fn event_under_way(name: &str, capacity: i64, sales_open_at: i64) -> voelgoed::provisioning::NewEvent<'_> {
    let now = voelgoed::db::now_ms();
    voelgoed::provisioning::NewEvent {
        name,
        venue: "Bench Park",
        starts_at: now - 3_600_000,
        ends_at: now + 86_400_000,
        timezone: "Europe/Amsterdam",
        capacity,
        currency: "EUR",
        sales_open_at,
    }
}

/// The `p` quantile of sorted durations, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted.get(at).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The benchmark's Redis (`--redis`), under a prefix of its own so a run never meets an
/// earlier run's keys.
fn redis_settings(redis: Option<&String>) -> Option<voelgoed::config::RedisSettings> {
    redis.map(|redis| voelgoed::config::RedisSettings {
        prefix: format!("bench-{}", voelgoed::auth::random_token()),
        ..voelgoed::config::RedisSettings::new(redis)
    })
}

/// CPU time this process (server and load generator together) has used so far, in
/// seconds, from /proc/self/stat (Linux; 0 elsewhere). Ticks are USER_HZ, 100 a second.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: Vec<f64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}
