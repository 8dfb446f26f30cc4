//! `voelgoed-bench bench-orders`: order-list latency on a bulk-seeded database. For the
//! largest organisation it times the first page of each filter combination, free-text
//! searches, the next page by cursor and a deep page (the query layer the handlers
//! call, plus a few full HTTP requests), prints each filter's query plan (EXPLAIN QUERY
//! PLAN), and measures the server's memory while it streams the whole CSV export.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;

use voelgoed::db::schema::{events, orders, tickets, users};
use voelgoed::db::{self, DatabaseUrl, DbConnection, Pool, Tenant};
use voelgoed::orders::list::{find_orders, Cursor, OrderFilter, PAGE_ROWS};

mod cases;
mod http;
use cases::{prefix, Samples};
use http::http_and_export;
pub(super) use http::signed_in;

#[derive(clap::Args, Debug)]
pub struct OrderBenchOptions {
    /// Database filled by `voelgoed seed --orders 1000000` (SQLite; PostgreSQL without the
    /// query plans).
    #[arg(long, env = "DATABASE_URL")]
    database: String,
    /// Runs; each run times every case `--iterations` times with fresh random values.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Password of the seeded owners (for the HTTP and export measurements).
    #[arg(long, default_value = "seed-owner")]
    password: String,
}

pub async fn run(options: OrderBenchOptions) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&options.database).map_err(anyhow::Error::msg)?;
    let pool_url = url.clone();
    let pool = tokio::task::spawn_blocking(move || -> anyhow::Result<Pool> {
        let pool = db::connect(&pool_url).context("cannot open the database")?;
        db::migrate(&pool)?;
        Ok(pool)
    })
    .await??;
    let bench_pool = pool.clone();
    let (samples, owner, orders_in_org) =
        tokio::task::spawn_blocking(move || samples(&mut *bench_pool.get()?)).await??;
    println!(
        "largest organisation: {} with {orders_in_org} orders (owner {owner}); {} cores",
        samples.tenant.organization_id(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let samples = Arc::new(samples);
    let (runs, iterations) = (options.runs, options.iterations);
    let timing_pool = pool.clone();
    let timing_samples = samples.clone();
    tokio::task::spawn_blocking(move || time_cases(&timing_pool, &timing_samples, runs, iterations)).await??;
    let explain_pool = pool.clone();
    let explain_samples = samples.clone();
    if url.is_sqlite() {
        tokio::task::spawn_blocking(move || explain_cases(&explain_pool, &explain_samples)).await??;
    }

    http_and_export(url, &owner, &options.password, &samples).await
}

/// The organisation with the most orders, its owner, and samples of its data.
fn samples(conn: &mut DbConnection) -> anyhow::Result<(Samples, String, i64)> {
    let (org, count): (i64, i64) = orders::table
        .group_by(orders::organization_id)
        .select((orders::organization_id, diesel::dsl::count_star()))
        .order(diesel::dsl::count_star().desc())
        .first(conn)
        .context("the database has no orders: run voelgoed seed first")?;
    let tenant = Tenant::authenticated(org);
    let owner: String = users::table
        .filter(users::organization_id.eq(org))
        .filter(users::role.eq("owner"))
        .select(users::email)
        .first(conn)?;
    let events = events::table
        .filter(events::organization_id.eq(org))
        .select(events::id)
        .load(conn)?;
    let sample: Vec<(String, String, String, i64, i64)> = orders::table
        .filter(orders::organization_id.eq(org))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("orders.id % 97 = 0"))
        .select((
            orders::code,
            orders::buyer_email,
            orders::buyer_name,
            orders::created_at,
            orders::id,
        ))
        .limit(5_000)
        .load(conn)?;
    let tickets: Vec<String> = tickets::table
        .filter(tickets::organization_id.eq(org))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("tickets.id % 89 = 0"))
        .select(tickets::code)
        .limit(5_000)
        .load(conn)?;
    let first_page = find_orders(conn, &tenant, &OrderFilter::default(), None, PAGE_ROWS)?;
    let mut cursors: Vec<Cursor> = first_page.next.into_iter().collect();
    cursors.extend(sample.iter().map(|(_, _, _, created_at, id)| Cursor {
        created_at: *created_at,
        id: *id,
    }));
    let first = sample.iter().map(|s| s.3).min().unwrap_or(0);
    let last = sample.iter().map(|s| s.3).max().unwrap_or(0);
    let samples = Samples {
        tenant,
        events,
        codes: sample.iter().map(|s| s.0.clone()).collect(),
        emails: sample.iter().map(|s| s.1.clone()).collect(),
        names: sample.iter().map(|s| s.2.clone()).collect(),
        tickets,
        cursors,
        first,
        last,
    };
    Ok((samples, owner, count))
}

/// Median over runs of each run's p50, p95 and p99 (and the worst p99), in ms.
fn time_cases(pool: &Pool, samples: &Samples, runs: usize, iterations: usize) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let mut rng = rand::rng();
    println!(
        "\nfirst page ({PAGE_ROWS} rows with event names and ticket counts), query layer; {runs} runs × {iterations}:"
    );
    println!(
        "{:<46} {:>8} {:>8} {:>8} {:>10}",
        "case", "p50 ms", "p95 ms", "p99 ms", "worst p99"
    );
    for (name, make) in cases::all() {
        let mut per_run = Vec::new();
        for _ in 0..runs {
            let mut times = Vec::with_capacity(iterations);
            for _ in 0..iterations {
                let (filter, after) = make(samples, &mut rng);
                let started = Instant::now();
                let page = find_orders(&mut conn, &samples.tenant, &filter, after, PAGE_ROWS)?;
                times.push(started.elapsed());
                std::hint::black_box(page);
            }
            per_run.push(percentiles(&mut times));
        }
        let median = |i: usize| {
            let mut values: Vec<f64> = per_run.iter().map(|p| p[i]).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let worst = per_run.iter().map(|p| p[2]).fold(0.0, f64::max);
        println!(
            "{name:<46} {:>8.2} {:>8.2} {:>8.2} {:>10.2}",
            median(0),
            median(1),
            median(2),
            worst
        );
    }
    Ok(())
}

/// p50, p95 and p99 in milliseconds.
fn percentiles(times: &mut [Duration]) -> [f64; 3] {
    times.sort();
    let at = |q: f64| {
        let index = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1;
        times[index].as_secs_f64() * 1000.0
    };
    [at(0.50), at(0.95), at(0.99)]
}

/// Records the SQL of every statement the connection runs.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            let sql = sql.split(" -- binds:").next().unwrap_or_default().to_owned();
            self.0.lock().unwrap_or_else(PoisonError::into_inner).push(sql);
        }
    }
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// The plan of the page query of each case (parameters unbound, as prepared).
fn explain_cases(pool: &Pool, samples: &Samples) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let mut rng = rand::rng();
    println!("\nEXPLAIN QUERY PLAN of each case's page query:");
    for (name, make) in cases::all() {
        let recorder = Recorder::default();
        conn.set_instrumentation(recorder.clone());
        let (filter, after) = make(samples, &mut rng);
        find_orders(&mut conn, &samples.tenant, &filter, after, PAGE_ROWS)?;
        conn.set_instrumentation(Recorder::default());
        let statements = recorder.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let page_query = statements
            .into_iter()
            .find(|sql| sql.contains("FROM `orders`") || sql.contains("order_search MATCH"));
        let Some(page_query) = page_query else {
            continue;
        };
        let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {page_query}")).load(&mut conn)?;
        println!("- {name}:");
        for line in plan {
            println!("    {}", line.detail);
        }
    }
    Ok(())
}
