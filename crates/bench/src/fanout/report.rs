//! What `bench-fanout` prints: connect times, memory per client, delivery latency and
//! losses, what stalled clients held, how a storm spread, and what the server still
//! holds once every client has closed.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::client::Kind;
use super::scans::Marks;
use super::server::{self, Sample};
use super::Run;
use crate::percentile_ms;

/// Waits until every reading client has had a first message after `since`; how long
/// after `since` the last one came (None: not all within `limit`).
pub async fn wait_streaming(run: &Run, since: Instant, limit: Duration) -> Option<Duration> {
    let deadline = Instant::now() + limit;
    loop {
        let latest = run
            .clients
            .iter()
            .filter(|(_, _, _, slow)| !slow)
            .map(|(_, _, seen, _)| seen.lock().ok().and_then(|s| s.streaming_since.filter(|t| *t > since)))
            .try_fold(since, |latest, t| t.map(|t| latest.max(t)));
        if let Some(latest) = latest {
            return Some(latest - since);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn line(what: &str, sorted: &[Duration]) -> String {
    format!(
        "{what}: {} samples, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        sorted.len(),
        percentile_ms(sorted, 0.50),
        percentile_ms(sorted, 0.95),
        percentile_ms(sorted, 0.99),
        sorted.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    )
}

pub fn connects(run: &Run) {
    let mut times: Vec<Duration> = run
        .clients
        .iter()
        .filter_map(|(_, _, seen, _)| seen.lock().ok()?.connects.first().map(|c| c.1))
        .collect();
    times.sort();
    println!("{}", line("connect → first message", &times));
}

pub fn memory(idle: &Sample, connected: &Sample, clients: usize) {
    let growth = connected.rss_kb.saturating_sub(idle.rss_kb);
    println!(
        "server RSS: {} KB idle, {} KB with {clients} clients: {:.1} KB per client; open files {} → {}",
        idle.rss_kb,
        connected.rss_kb,
        growth as f64 / clients.max(1) as f64,
        idle.open_files,
        connected.open_files
    );
    let own = Sample::anonymous_kb;
    println!(
        "server RSS without mapped database pages: {} KB idle, {} KB with {clients} clients: {:.1} KB per client",
        own(idle),
        own(connected),
        own(connected).saturating_sub(own(idle)) as f64 / clients.max(1) as f64
    );
}

/// Latency from each batch's 200 to the first message of a client showing that count
/// (or more), over every reading client connected before the scans; and losses.
pub fn deliveries(run: &Run, marks: &Marks) {
    let mut latencies: Vec<Duration> = Vec::new();
    let mut row_latencies: Vec<Duration> = Vec::new();
    let (mut behind, mut rows, mut rows_expected, mut monitors) = (0usize, 0u64, 0u64, 0usize);
    let mut pushes: Vec<(Kind, f64)> = Vec::new();
    // Per client: bytes of data on connect (before the scans), and per second after.
    let mut bytes: Vec<(Kind, f64, f64)> = Vec::new();
    let span = marks.started.elapsed().as_secs_f64();
    for (index, (kind, event, seen, slow)) in run.clients.iter().enumerate() {
        let Ok(seen) = seen.lock() else { continue };
        let event_marks = &marks.per_event[*event];
        if *slow || seen.connects.len() != 1 {
            continue;
        }
        let mut shown = seen.counts.iter().peekable();
        for &(answered, inside) in event_marks {
            while shown.next_if(|(_, count)| *count < inside).is_some() {}
            match shown.peek() {
                Some((at, _)) => latencies.push(at.saturating_duration_since(answered)),
                None => behind += 1,
            }
        }
        let (_, rows_before, bytes_before) = marks.messages_before[index];
        bytes.push((*kind, bytes_before as f64, (seen.bytes - bytes_before) as f64 / span));
        let counted = seen.counts.iter().filter(|(at, _)| *at >= marks.started).count();
        pushes.push((*kind, counted as f64 / span));
        if *kind == Kind::Monitor && seen.log_redraws <= 1 {
            monitors += 1;
            rows += seen.log_rows - rows_before;
            let posted = event_marks.last().map_or(0, |m| m.1 - marks.scanned_before);
            rows_expected += posted as u64;
            row_latencies.extend(row_latency(
                &seen.row_arrivals[rows_before as usize..],
                event_marks,
                marks.scanned_before,
            ));
        }
    }
    latencies.sort();
    println!("{}", line("scan's 200 → message showing it", &latencies));
    row_latencies.sort();
    println!("{}", line("scan's 200 → its scan-log row (monitors)", &row_latencies));
    println!("counts never shown (lost or still behind at the end): {behind}");
    println!("scan-log rows on {monitors} monitors: {rows} received of {rows_expected} expected");
    for kind in Kind::ALL {
        let mut rates: Vec<f64> = pushes.iter().filter(|(k, _)| *k == kind).map(|(_, r)| *r).collect();
        rates.sort_by(f64::total_cmp);
        if let Some(max) = rates.last() {
            println!(
                "{kind:?}: {} clients; count-carrying pushes per client per second: median {:.2}, max {max:.2}",
                rates.len(),
                rates[rates.len() / 2]
            );
        }
    }
    for kind in Kind::ALL {
        let of_kind = bytes.iter().filter(|(k, _, _)| *k == kind);
        let (mut on_connect, mut per_second): (Vec<f64>, Vec<f64>) = of_kind.map(|(_, c, s)| (*c, *s)).unzip();
        if on_connect.is_empty() {
            continue;
        }
        on_connect.sort_by(f64::total_cmp);
        per_second.sort_by(f64::total_cmp);
        println!(
            "{kind:?}: bytes of data per client: median {:.0} on connect, {:.0} a second while scanning",
            on_connect[on_connect.len() / 2],
            per_second[per_second.len() / 2]
        );
    }
}

/// The k-th row a monitor got in the scan phase is the event's k-th scan after the
/// `before` scanned in earlier (one device per event posts them in order): its delay
/// after the 200 of the first batch whose count passes it.
fn row_latency<'a>(
    rows: &'a [Instant],
    marks: &'a [(Instant, i64)],
    before: i64,
) -> impl Iterator<Item = Duration> + 'a {
    let mut batch = 0;
    rows.iter().enumerate().filter_map(move |(k, at)| {
        while marks.get(batch).is_some_and(|m| m.1 - before <= k as i64) {
            batch += 1;
        }
        marks.get(batch).map(|m| at.saturating_duration_since(m.0))
    })
}

/// What the kernel holds for the clients that stopped reading, until the server drops
/// them (at most 60 s).
pub fn slow_readers(run: &Run, server_port: u16) {
    let ports: HashSet<std::net::SocketAddr> = run
        .clients
        .iter()
        .filter(|(_, _, _, slow)| *slow)
        .filter_map(|(_, _, seen, _)| seen.lock().ok()?.local)
        .collect();
    let started = Instant::now();
    let mut most = 0;
    let (mut open, _) = server::server_send_queues(server_port, &ports);
    println!(
        "slow readers: {} stalled, {open} still connected after the scans",
        ports.len()
    );
    while open > 0 && started.elapsed() < Duration::from_secs(60) {
        let (now_open, queues) = server::server_send_queues(server_port, &ports);
        most = most.max(queues.iter().copied().max().unwrap_or(0));
        open = now_open;
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "slow readers: {open} still connected {:.1} s later; most one held in the server's kernel send queue: {} KB",
        started.elapsed().as_secs_f64(),
        most / 1024
    );
}

/// When the clients came back after the storm began: deciles.
pub fn storm_spread(run: &Run, began: Instant) {
    let mut back: Vec<Duration> = run
        .clients
        .iter()
        .filter(|(_, _, _, slow)| !slow)
        .filter_map(|(_, _, seen, _)| {
            seen.lock()
                .ok()?
                .streaming_since
                .map(|t| t.saturating_duration_since(began))
        })
        .collect();
    back.sort();
    let failed: u64 = run
        .clients
        .iter()
        .filter_map(|(_, _, seen, _)| seen.lock().ok().map(|s| s.failed_connects))
        .sum();
    println!(
        "{}; failed connection attempts {failed}",
        line("storm: streaming again after", &back)
    );
}

/// What the server holds once every client has closed.
pub async fn closed(idle: &Sample, connected: &Sample, closed: &Sample, server: std::net::SocketAddr) {
    println!(
        "all clients closed: open files {} (idle {}, connected {}), RSS {} KB (idle {}, connected {})",
        closed.open_files, idle.open_files, connected.open_files, closed.rss_kb, idle.rss_kb, connected.rss_kb
    );
    let client = awc::Client::default();
    let metrics = match client.get(format!("http://{server}/metrics")).send().await {
        Ok(mut response) if response.status().is_success() => response.body().await.ok(),
        _ => None,
    };
    match metrics {
        Some(body) => String::from_utf8_lossy(&body)
            .lines()
            .filter(|l| l.starts_with("voelgoed_sse_subscribers"))
            .for_each(|l| println!("metrics: {l}")),
        None => println!("metrics: no /metrics on this server"),
    }
}
