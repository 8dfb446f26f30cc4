//! `voelgoed bench-orders`: order-list latency on a bulk-seeded database. For the
//! largest organisation it times the first page of each filter combination, free-text
//! searches, the next page by cursor and a deep page (the query layer the handlers
//! call, plus a few full HTTP requests), prints each filter's query plan (EXPLAIN QUERY
//! PLAN), and measures the server's memory while it streams the whole CSV export.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use rand::seq::IndexedRandom;
use rand::Rng;

use voelgoed::app::Application;
use voelgoed::config::Settings;
use voelgoed::db::schema::{events, orders, users};
use voelgoed::db::{self, DatabaseUrl, DbConnection, Pool, Tenant};
use voelgoed::orders::list::{find_orders, Cursor, OrderFilter, SearchText, PAGE_ROWS};
use voelgoed::orders::OrderStatus;

#[derive(clap::Args, Debug)]
pub struct OrderBenchOptions {
    /// SQLite database filled by `voelgoed seed --orders 1000000`.
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

/// What the random filters draw from: real values of the organisation.
struct Samples {
    tenant: Tenant,
    events: Vec<i64>,
    codes: Vec<String>,
    emails: Vec<String>,
    names: Vec<String>,
    cursors: Vec<Cursor>,
    first: i64,
    last: i64,
}

type Case = (
    &'static str,
    fn(&Samples, &mut rand::rngs::ThreadRng) -> (OrderFilter, Option<Cursor>),
);

const DAY: i64 = 86_400_000;

fn text(prefix: &str) -> Option<SearchText> {
    Some(SearchText::new(prefix))
}

fn prefix(value: &str, chars: usize) -> String {
    value.chars().take(chars).collect()
}

fn week(s: &Samples, rng: &mut rand::rngs::ThreadRng) -> (Option<i64>, Option<i64>) {
    let from = rng.random_range(s.first..=(s.last - 7 * DAY).max(s.first));
    (Some(from), Some(from + 7 * DAY))
}

fn status(rng: &mut rand::rngs::ThreadRng) -> Option<OrderStatus> {
    OrderStatus::ALL.choose(rng).copied()
}

const CASES: &[Case] = &[
    ("no filter", |_, _| (OrderFilter::default(), None)),
    ("status (any of 5)", |_, rng| {
        (
            OrderFilter {
                status: status(rng),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("status = pending (1 %)", |_, _| {
        (
            OrderFilter {
                status: Some(OrderStatus::Pending),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event", |s, rng| {
        (
            OrderFilter {
                event_id: s.events.choose(rng).copied(),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event + status", |s, rng| {
        let filter = OrderFilter {
            event_id: s.events.choose(rng).copied(),
            status: status(rng),
            ..OrderFilter::default()
        };
        (filter, None)
    }),
    ("7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        (
            OrderFilter {
                created_from,
                created_before,
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("status + 7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        (
            OrderFilter {
                status: status(rng),
                created_from,
                created_before,
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event + status + 7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        let filter = OrderFilter {
            event_id: s.events.choose(rng).copied(),
            status: status(rng),
            created_from,
            created_before,
            ..OrderFilter::default()
        };
        (filter, None)
    }),
    ("text: name prefix (3 chars)", |s, rng| {
        let name = s.names.choose(rng).map_or(String::new(), |n| prefix(n, 3));
        (
            OrderFilter {
                text: text(&name),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: full name", |s, rng| {
        let name = s.names.choose(rng).cloned().unwrap_or_default();
        (
            OrderFilter {
                text: text(&name),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: e-mail prefix (8 chars)", |s, rng| {
        let email = s.emails.choose(rng).map_or(String::new(), |e| prefix(e, 8));
        (
            OrderFilter {
                text: text(&email),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: code prefix (VG- + 3)", |s, rng| {
        let code = s.codes.choose(rng).map_or(String::new(), |c| prefix(c, 6));
        (
            OrderFilter {
                text: text(&code),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: code without VG- (4 chars)", |s, rng| {
        let code: String = s
            .codes
            .choose(rng)
            .map_or(String::new(), |c| c.chars().skip(3).take(4).collect());
        (
            OrderFilter {
                text: text(&code),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: one letter", |_, rng| {
        let letter = (b'a' + rng.random_range(0..26u8)) as char;
        (
            OrderFilter {
                text: text(&letter.to_string()),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: name prefix + status + event + 30 days", |s, rng| {
        let name = s.names.choose(rng).map_or(String::new(), |n| prefix(n, 4));
        let from = rng.random_range(s.first..=(s.last - 30 * DAY).max(s.first));
        let filter = OrderFilter {
            text: text(&name),
            status: status(rng),
            event_id: s.events.choose(rng).copied(),
            created_from: Some(from),
            created_before: Some(from + 30 * DAY),
        };
        (filter, None)
    }),
    ("next page (cursor after page 1)", |s, _| {
        (OrderFilter::default(), s.cursors.first().copied())
    }),
    ("deep page (random cursor)", |s, rng| {
        (OrderFilter::default(), s.cursors.choose(rng).copied())
    }),
    ("deep page + status", |s, rng| {
        (
            OrderFilter {
                status: status(rng),
                ..OrderFilter::default()
            },
            s.cursors.choose(rng).copied(),
        )
    }),
    ("next page of a name search", |s, rng| {
        let name = s.names.choose(rng).map_or(String::new(), |n| prefix(n, 3));
        let filter = OrderFilter {
            text: text(&name),
            ..OrderFilter::default()
        };
        (filter, s.cursors.choose(rng).copied())
    }),
];

pub async fn run(options: OrderBenchOptions) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&options.database).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(url.is_sqlite(), "bench-orders measures a SQLite database");
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
    tokio::task::spawn_blocking(move || explain_cases(&explain_pool, &explain_samples)).await??;

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
    for (name, make) in CASES {
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
    for (name, make) in CASES {
        let recorder = Recorder::default();
        conn.set_instrumentation(recorder.clone());
        let (filter, after) = make(samples, &mut rng);
        find_orders(&mut conn, &samples.tenant, &filter, after, PAGE_ROWS)?;
        conn.set_instrumentation(Recorder::default());
        let statements = recorder.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let Some(page_query) = statements.into_iter().find(|sql| sql.contains("FROM `orders`")) else {
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

/// Whole requests: a few list pages, then the CSV export of the organisation with the
/// process's resident memory sampled while it streams.
async fn http_and_export(url: DatabaseUrl, owner: &str, password: &str, samples: &Samples) -> anyhow::Result<()> {
    let app = Application::build(Settings::new("127.0.0.1:0", url)).await?;
    let base = format!("http://{}", app.address());
    let server = actix_web::rt::spawn(app.run_until_stopped());
    let cookie = signed_in(&base, owner, password).await?;
    let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
    let event = samples.events.first().copied().unwrap_or(0);
    let name = samples.names.first().map_or(String::new(), |n| prefix(n, 4));
    println!("\nwhole GET requests (render included), 100 each:");
    for path in [
        "/orders".to_string(),
        format!("/orders?status=refunded&event={event}"),
        format!("/orders?q={}", name.replace(' ', "+")),
    ] {
        let mut times = Vec::new();
        for _ in 0..100 {
            let started = Instant::now();
            let mut response = client
                .get(format!("{base}{path}"))
                .insert_header(("Cookie", cookie.as_str()))
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
            response
                .body()
                .limit(16 << 20)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            times.push(started.elapsed());
        }
        let [p50, p95, p99] = percentiles(&mut times);
        println!("  {path:<40} p50 {p50:.2} ms  p95 {p95:.2} ms  p99 {p99:.2} ms");
    }

    let before = resident();
    let peak = Arc::new(Mutex::new(before));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let now = resident();
                {
                    let mut peak = peak.lock().unwrap_or_else(PoisonError::into_inner);
                    peak.all = peak.all.max(now.all);
                    peak.anonymous = peak.anonymous.max(now.anonymous);
                    peak.file = peak.file.max(now.file);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let started = Instant::now();
    let mut response = client
        .get(format!("{base}/orders.csv"))
        .insert_header(("Cookie", cookie.as_str()))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(response.status().is_success(), "export: {}", response.status());
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = futures_util::StreamExt::next(&mut response).await {
        let chunk = chunk.map_err(|e| anyhow::anyhow!("{e}"))?;
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let elapsed = started.elapsed();
    sampling.abort();
    let peak = *peak.lock().unwrap_or_else(PoisonError::into_inner);
    println!(
        "\nCSV export of the organisation: {} ticket rows, {:.1} MB in {:.1} s",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
    );
    for (what, before, peak) in [
        ("resident (VmRSS)", before.all, peak.all),
        ("  anonymous (heap, SQLite caches)", before.anonymous, peak.anonymous),
        ("  file-backed (mapped database file)", before.file, peak.file),
    ] {
        println!(
            "  {what:<38} {:>6} MB before, {:>6} MB at peak: growth {} MB",
            before / 1024,
            peak / 1024,
            (peak - before) / 1024
        );
    }
    server.abort();
    Ok(())
}

/// Resident memory of this process in kB (server and client share it; the client
/// keeps nothing): all of it, anonymous (heap, SQLite's page caches) and file-backed
/// (the database file as SQLite maps it: the kernel's page cache, reclaimable).
#[derive(Clone, Copy, Default)]
struct Resident {
    all: i64,
    anonymous: i64,
    file: i64,
}

fn resident() -> Resident {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0)
    };
    Resident {
        all: field("VmRSS:"),
        anonymous: field("RssAnon:"),
        file: field("RssFile:"),
    }
}

/// A session cookie for `email`, through the real sign-in form.
async fn signed_in(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    // Redirects are not followed: the session cookie is on the 303 itself.
    let client = awc::Client::builder().disable_redirects().finish();
    let mut page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cookies = set_cookies(page.headers());
    let body = page.body().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let body = String::from_utf8_lossy(&body);
    let marker = r#"name="csrf_token" value=""#;
    let start = body.find(marker).context("no CSRF token on the sign-in page")? + marker.len();
    let token: String = body[start..].chars().take_while(|c| *c != '"').collect();
    let answer = client
        .post(format!("{base}/login"))
        .insert_header(("Cookie", cookies.join("; ")))
        .send_form(&[("email", email), ("password", password), ("csrf_token", &token)])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(
        answer.status().as_u16() == 303,
        "sign-in as {email}: {}",
        answer.status()
    );
    Ok(set_cookies(answer.headers()).join("; "))
}

/// `name=value` of each `Set-Cookie` header.
fn set_cookies(headers: &actix_web::http::header::HeaderMap) -> Vec<String> {
    headers
        .get_all(actix_web::http::header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect()
}
