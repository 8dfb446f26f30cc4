//! `bench-fanout`'s gates: each event's device posts batches through the real device
//! API at its share of `--scans-per-second` (ten batches a second), and every answered
//! batch is marked with when its 200 came and how many people were inside after it.

use std::time::{Duration, Instant};

use super::seed::SeededEvent;
use super::{server, FanoutOptions, Run};

/// What the scan phase did: per event, (when a batch's 200 arrived, inside after it,
/// scans posted up to it).
pub struct Marks {
    pub per_event: Vec<Vec<(Instant, i64)>>,
    pub started: Instant,
    /// Per client: messages, log rows and bytes received before the scans began.
    pub messages_before: Vec<(u64, u64, u64)>,
    /// Tickets of each event scanned in before the screens opened.
    pub scanned_before: i64,
}

pub async fn drive(
    run: &Run,
    server: std::net::SocketAddr,
    options: &FanoutOptions,
    pid: u32,
) -> anyhow::Result<Marks> {
    let messages_before: Vec<(u64, u64, u64)> = run
        .clients
        .iter()
        .map(|(_, _, seen, _)| seen.lock().map_or((0, 0, 0), |s| (s.messages, s.log_rows, s.bytes)))
        .collect();
    let length = Duration::from_secs(options.seconds);
    let per_second = options.scans_per_second as f64 / run.events.len() as f64;
    let (cpu_before, own_before) = (server::sample(pid)?, server::sample(std::process::id())?);
    let started = Instant::now();
    let gates = run.events.iter().map(|event| {
        let (token, codes) = (event.device_token.clone(), event.codes.clone());
        let already = options.scanned_before;
        actix_web::rt::spawn(gate(
            format!("http://{server}"),
            token,
            codes,
            per_second,
            length,
            already,
        ))
    });
    let mut per_event = Vec::new();
    for gate in gates.collect::<Vec<_>>() {
        per_event.push(gate.await??);
    }
    let posted: usize = per_event
        .iter()
        .map(|marks| marks.last().map_or(0, |m| m.1 as usize - options.scanned_before))
        .sum();
    let scanning = started.elapsed();
    // Deliveries of the last batches.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu_after, own_after) = (server::sample(pid)?, server::sample(std::process::id())?);
    let delivered: u64 = run
        .clients
        .iter()
        .zip(&messages_before)
        .map(|((_, _, seen, _), (before, _, _))| seen.lock().map_or(0, |s| s.messages - before))
        .sum();
    let cpu_s = (cpu_after.cpu_ticks - cpu_before.cpu_ticks) as f64 / server::TICKS_PER_SECOND;
    let wall = (cpu_after.at - cpu_before.at).as_secs_f64();
    println!(
        "scans: {posted} posted in {:.1} s ({:.0}/s, in batches every 100 ms per event); server CPU {cpu_s:.1} s over {wall:.1} s ({:.0} % of one core)",
        scanning.as_secs_f64(),
        posted as f64 / scanning.as_secs_f64(),
        cpu_s / wall * 100.0
    );
    let own_s = (own_after.cpu_ticks - own_before.cpu_ticks) as f64 / server::TICKS_PER_SECOND;
    println!(
        "this bench process (clients and gates): CPU {own_s:.1} s ({:.0} % of one core); load average {}",
        own_s / wall * 100.0,
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    println!(
        "deliveries: {delivered} messages ({:.0}/s); server CPU per delivery {:.1} µs (scans' own work included)",
        delivered as f64 / wall,
        cpu_s * 1e6 / delivered.max(1) as f64
    );
    Ok(Marks {
        per_event,
        started,
        messages_before,
        scanned_before: options.scanned_before as i64,
    })
}

/// One event's device: `per_second` tickets a second in batches every 100 ms, for
/// `length`, after the `already` scanned in before; each valid (every ticket is scanned
/// in once), so inside = scans posted.
async fn gate(
    base: String,
    token: String,
    codes: Vec<String>,
    per_second: f64,
    length: Duration,
    already: usize,
) -> anyhow::Result<Vec<(Instant, i64)>> {
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (started, mut inside, mut next) = (Instant::now(), already as i64, already);
    let mut marks = Vec::new();
    while started.elapsed() < length {
        tick.tick().await;
        let due = already + ((started.elapsed().as_secs_f64() + 0.1) * per_second) as usize;
        let per_batch = due.saturating_sub(next).min(codes.len() - next);
        if per_batch == 0 {
            continue;
        }
        let (answered, valid) = post(&client, &base, &token, &codes[next..next + per_batch], next).await?;
        next += per_batch;
        inside += valid as i64;
        marks.push((answered, inside));
    }
    Ok(marks)
}

/// Before the screens open, each event's first `count` tickets scanned in at once, so a
/// monitor opens on a full log as it would mid-event.
pub async fn scan_before(events: &[SeededEvent], server: std::net::SocketAddr, count: usize) -> anyhow::Result<()> {
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let base = format!("http://{server}");
    for event in events {
        let codes = &event.codes[..count.min(event.codes.len())];
        if !codes.is_empty() {
            post(&client, &base, &event.device_token, codes, 0).await?;
        }
    }
    Ok(())
}

/// One batch of `codes` (scan ids counted from `first`) through the device API, as a
/// device sends it: a 503 ("nothing was recorded") is sent again after a second. Every
/// scan must be admitted; returns when the 200 came and how many were.
async fn post(
    client: &awc::Client,
    base: &str,
    token: &str,
    codes: &[String],
    first: usize,
) -> anyhow::Result<(Instant, usize)> {
    let scans: Vec<_> = codes
        .iter()
        .enumerate()
        .map(|(i, code)| crate::scan_json(&format!("fan-{}", first + i), code, "in"))
        .collect();
    let body = serde_json::json!({ "scans": scans });
    let mut response = loop {
        let response = client
            .post(format!("{base}/api/v1/scans"))
            .bearer_auth(token)
            .send_json(&body)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if response.status() != awc::http::StatusCode::SERVICE_UNAVAILABLE {
            break response;
        }
        eprintln!("scans answered 503: sending them again in 1 s");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let answered = Instant::now();
    anyhow::ensure!(response.status().is_success(), "scans answered {}", response.status());
    let answers: serde_json::Value = response.json().limit(1 << 20).await?;
    let valid = answers["results"]
        .as_array()
        .map_or(0, |r| r.iter().filter(|a| a["result"] == "valid").count());
    anyhow::ensure!(valid == codes.len(), "{valid} of {} scans admitted", codes.len());
    Ok((answered, valid))
}
