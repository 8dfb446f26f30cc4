//! `voelgoed-bench bench-pages`: against a running server, the latency of whole page and
//! fragment requests as a browser makes them (gzip asked for), over one reused
//! keep-alive connection and over a fresh connection per request: `GET /orders`, an
//! event dashboard and an htmx filter request of the order list.

use std::time::{Duration, Instant};

use anyhow::Context;

use super::orders::signed_in;
use super::percentile_ms;

#[derive(clap::Args, Debug)]
pub struct PagesBenchOptions {
    /// The running server (e.g. `voelgoed demo`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// Who signs in (the demo's owner by default).
    #[arg(long, default_value = "owner@demo.test")]
    email: String,
    #[arg(long, default_value = "demo-owner")]
    password: String,
    /// The event whose dashboard is loaded (the first one listed when omitted).
    #[arg(long)]
    event: Option<i64>,
    /// Requests per page, connection kind and run.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// One request of the benchmark: a name, a path, whether htmx sends it.
struct Page {
    name: &'static str,
    path: String,
    htmx: bool,
}

pub async fn run(options: PagesBenchOptions) -> anyhow::Result<()> {
    let base = options.base.trim_end_matches('/').to_owned();
    let cookie = signed_in(&base, &options.email, &options.password).await?;
    let reused = client(&cookie);
    let event = match options.event {
        Some(event) => event,
        None => first_event(&reused, &base).await?,
    };
    let pages = [
        Page {
            name: "GET /orders",
            path: voelgoed::paths::ORDERS.to_owned(),
            htmx: false,
        },
        Page {
            name: "dashboard",
            path: voelgoed::paths::event_dashboard(event),
            htmx: false,
        },
        Page {
            name: "htmx filter",
            path: voelgoed::paths::with_query(voelgoed::paths::ORDERS, &format!("status=paid&event={event}")),
            htmx: true,
        },
    ];
    println!(
        "{base}, signed in as {}; {} runs × {} requests per page and connection kind, gzip asked for",
        options.email, options.runs, options.requests
    );
    println!(
        "{:<14} {:<7} {:>8} {:>8} {:>8}   (median over runs)",
        "request", "conn", "p50 ms", "p95 ms", "p99 ms"
    );
    for page in &pages {
        let mut results = Vec::new();
        for reuse in [true, false] {
            let mut per_run = Vec::with_capacity(options.runs);
            for _ in 0..options.runs {
                let times = if reuse {
                    // One request first opens the connection the timed ones reuse.
                    fetch(reused.clone(), &base, page).await?;
                    timed(options.requests, || fetch(reused.clone(), &base, page)).await?
                } else {
                    timed(options.requests, || fetch(client(&cookie), &base, page)).await?
                };
                per_run.push(times);
            }
            let [p50, p95, p99] = [0.50, 0.95, 0.99].map(|q| median(per_run.iter().map(|t| percentile_ms(t, q))));
            let kind = if reuse { "reused" } else { "fresh" };
            println!("{:<14} {kind:<7} {p50:>8.2} {p95:>8.2} {p99:>8.2}", page.name);
            results.push(p50);
        }
        println!(
            "{:<14} reused / fresh p50: {:.2}",
            "",
            results[0] / results[1].max(f64::EPSILON)
        );
    }
    Ok(())
}

/// A client of its own (its own connection pool; clones share it) sending the session cookie.
fn client(cookie: &str) -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .add_default_header(("Cookie", cookie.to_owned()))
        .finish()
}

/// Times `requests` requests one after the other; sorted.
async fn timed<F, R>(requests: usize, mut request: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> R,
    R: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        // A future does nothing until awaited: making it (and its client) is not timed.
        let request = request();
        let started = Instant::now();
        request.await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

/// One whole request, the compressed body read to its end.
async fn fetch(client: awc::Client, base: &str, page: &Page) -> anyhow::Result<()> {
    let mut request = client
        .get(format!("{base}{}", page.path))
        .insert_header(("Accept-Encoding", "gzip"));
    if page.htmx {
        request = request.insert_header(("HX-Request", "true"));
    }
    let mut response = request.send().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(response.status().is_success(), "{}: {}", page.path, response.status());
    let encoding = response.headers().get("content-encoding").and_then(|v| v.to_str().ok());
    anyhow::ensure!(encoding == Some("gzip"), "{}: not compressed", page.path);
    response
        .body()
        .limit(16 << 20)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// The first event the events page links to.
async fn first_event(client: &awc::Client, base: &str) -> anyhow::Result<i64> {
    let mut response = client
        .get(format!("{base}{}", voelgoed::paths::EVENTS))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let body = response
        .body()
        .limit(16 << 20)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let body = String::from_utf8_lossy(&body);
    body.split("href=\"/events/")
        .skip(1)
        .find_map(|rest| rest.split('"').next()?.parse().ok())
        .context("the events page links no event: pass --event")
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
