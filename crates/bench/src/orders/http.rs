//! `voelgoed-bench bench-orders` over whole requests: a few list pages, then the CSV export
//! with the process's resident memory sampled while it streams.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::{percentiles, prefix, Samples};
use voelgoed::config::Settings;
use voelgoed::db::DatabaseUrl;
use voelgoed::startup::Application;

/// Whole requests: a few list pages, then the CSV export of the organisation with the
/// process's resident memory sampled while it streams.
pub(super) async fn http_and_export(
    url: DatabaseUrl,
    owner: &str,
    password: &str,
    samples: &Samples,
) -> anyhow::Result<()> {
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
pub(super) struct Resident {
    pub(super) all: i64,
    pub(super) anonymous: i64,
    pub(super) file: i64,
}

pub(super) fn resident() -> Resident {
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
pub(crate) async fn signed_in(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
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
pub(super) fn set_cookies(headers: &actix_web::http::header::HeaderMap) -> Vec<String> {
    headers
        .get_all(actix_web::http::header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect()
}
