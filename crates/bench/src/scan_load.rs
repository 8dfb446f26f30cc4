//! The load `voelgoed-bench bench-scans` puts on the device API (single scans from every
//! device, then a wave of reconnecting devices sending their backlog) and its report,
//! with the Redis commands it cost when scaled out.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::{percentile_ms, scan_json};

/// A seeded scanning device: its token and the ticket codes it will present.
pub(super) struct Device {
    pub(super) token: String,
    pub(super) codes: Vec<String>,
}

#[derive(Default)]
pub(super) struct Outcome {
    pub(super) latencies: Vec<Duration>,
    pub(super) requests: usize,
    pub(super) acknowledged: usize,
    pub(super) failed: usize,
    pub(super) elapsed: Duration,
}

/// Each device posts one scan per request, back to back, for `length`; its scan ids
/// start with `run` (each run of one bench its own).
pub(super) async fn single_scans(bases: &[String], devices: &[Device], length: Duration, run: &str) -> Outcome {
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
            let body = serde_json::json!({ "scans": [scan_json(&format!("{run}{lane}-{n}"), code, direction)] });
            post(&client, base, &device.token, &body, 1, &mut outcome).await;
            n += 1;
        }
        outcome
    });
    merge(join_all(lanes).await, started.elapsed())
}

/// Every device at once sends its backlog: `batches` batches of 500 scans each.
pub(super) async fn reconnect_wave(bases: &[String], devices: &[Device], batches: usize) -> Outcome {
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

pub(super) async fn post(
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

pub(super) fn merge(lanes: Vec<Outcome>, elapsed: Duration) -> Outcome {
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

pub(super) fn report(what: &str, outcome: &Outcome, scans_per_request: usize) {
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
pub(super) async fn redis_commands(
    url: Option<&str>,
) -> anyhow::Result<Option<std::collections::HashMap<String, u64>>> {
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

pub(super) fn report_redis(
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
