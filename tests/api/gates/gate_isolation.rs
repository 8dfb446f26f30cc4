//! The gates keep admitting while pages are attacked: stalled CSV downloads and a crowd
//! of wrong sign-ins exhaust their own budgets, never the scan path's.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;

use crate::helpers::{batch, scan, spawn_app_with, TestApp};

/// Opens `GET /orders.csv` with the session's cookies and then never reads: a phone on
/// a bad connection. The tiny receive buffer makes the server's writes stall at once.
async fn stalled_download(app: &TestApp, cookies: &str) -> tokio::net::TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("receive buffer");
    let address = app.address.trim_start_matches("http://").parse().expect("address");
    let mut stream = socket.connect(address).await.expect("connect");
    let request = format!("GET /orders.csv HTTP/1.1\r\nHost: {address}\r\nCookie: {cookies}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request");
    stream
}

/// The `name=value` pairs a sign-in set, as one Cookie header.
async fn session_cookies(app: &TestApp, email: &str, password: &str) -> String {
    let client = app.client();
    let response = app.sign_in(&client, email, password).await;
    assert_eq!(response.status(), 303, "the seeded owner signs in");
    response
        .cookies()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Forty sign-ins with a wrong password, again and again, until `until`.
fn guess_passwords(app: &TestApp, until: Instant) -> Vec<tokio::task::JoinHandle<()>> {
    (0..40)
        .map(|n| {
            let (client, app_url) = (app.client(), app.url("/login"));
            let page_url = app_url.clone();
            tokio::spawn(async move {
                while Instant::now() < until {
                    let Ok(page) = client.get(&page_url).send().await else {
                        continue;
                    };
                    let token = crate::helpers::csrf_token(&page.text().await.unwrap_or_default()).unwrap_or_default();
                    let email = format!("victim{n}@a.test");
                    let form = [("email", email.as_str()), ("password", "wrong"), ("csrf_token", &token)];
                    let _ = client.post(&app_url).form(&form).send().await;
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scans_are_acknowledged_while_exports_stall_and_sign_ins_are_guessed() {
    // Exports of two organisations (two places each) stall, and the others are refused.
    let app = spawn_app_with(|s| s.export_idle_timeout = Duration::from_secs(60)).await;
    app.bulk_seed(30_000, 2).await;
    let mut codes = Vec::new();
    for _ in 0..40 {
        codes.extend(app.place_order_a(10).await.ticket_codes);
    }
    let (token, _) = app.device_a("North").await;

    let mut stalled = Vec::new();
    for org in ["owner@seed-1.test", "owner@seed-2.test"] {
        let cookies = session_cookies(&app, org, "seed-owner").await;
        for _ in 0..8 {
            stalled.push(stalled_download(&app, &cookies).await);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let until = Instant::now() + Duration::from_secs(6);
    let guessers = guess_passwords(&app, until);

    let mut latencies = Vec::new();
    let mut statuses = Vec::new();
    for (n, code) in codes.iter().enumerate() {
        if Instant::now() >= until {
            break;
        }
        let started = Instant::now();
        let (status, answer) = app
            .post_scans(&token, &batch(vec![scan(&format!("s{n}"), code, "in")]))
            .await;
        latencies.push(started.elapsed());
        statuses.push(status);
        assert_eq!(status, 200, "scan {n} during the attack: {answer}");
        assert_eq!(answer["results"][0]["result"], "valid", "{answer}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for guesser in guessers {
        guesser.await.expect("guesser");
    }
    drop(stalled);

    assert!(latencies.len() >= 30, "only {} scans in six seconds", latencies.len());
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    assert!(
        p99 <= Duration::from_millis(200),
        "scan p99 under attack: {p99:?} over {} scans",
        latencies.len()
    );
    assert_eq!(app.count("scans").await, latencies.len() as i64);
}

#[tokio::test]
async fn a_third_export_of_one_organisation_waits_its_turn_with_a_429() {
    let app = spawn_app_with(|s| s.export_idle_timeout = Duration::from_secs(60)).await;
    app.bulk_seed(20_000, 1).await;
    let cookies = session_cookies(&app, "owner@seed-1.test", "seed-owner").await;
    let _first = stalled_download(&app, &cookies).await;
    let _second = stalled_download(&app, &cookies).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let response = reqwest::Client::new()
        .get(app.url("/orders.csv"))
        .header("Cookie", &cookies)
        .send()
        .await
        .expect("third export");
    assert_eq!(response.status(), 429);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("exports of your organisation are running"));

    // Another organisation's export is not held up by these.
    let other = app.signed_in(&app.fixture.owner_b).await;
    let csv = other.get(app.url("/orders.csv")).send().await.expect("export of org B");
    assert_eq!(csv.status(), 200);
}

#[tokio::test]
async fn a_download_that_stops_reading_is_ended_and_frees_its_place() {
    let app = spawn_app_with(|s| {
        s.export_idle_timeout = Duration::from_millis(500);
        s.exports_per_organization = 1;
    })
    .await;
    app.bulk_seed(20_000, 1).await;
    let cookies = session_cookies(&app, "owner@seed-1.test", "seed-owner").await;
    let _stalled = stalled_download(&app, &cookies).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let export = |cookies: String| {
        let url = app.url("/orders.csv");
        async move {
            let response = reqwest::Client::new().get(url).header("Cookie", cookies).send().await;
            response.expect("export").status().as_u16()
        }
    };
    assert_eq!(export(cookies.clone()).await, 429, "the one place is taken");

    // Past the idle timeout the stalled export gives its place back.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let status = export(cookies.clone()).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the stalled export kept its place: {status}");
    }
}

#[tokio::test]
async fn an_unknown_token_repeated_is_refused_from_memory() {
    let app = spawn_app_with(|_| {}).await;
    let body = batch(vec![scan("x", "CODE", "in")]);
    let (status, _) = app.post_scans("not-a-token", &body).await;
    assert_eq!(status, 401);
    // The gates' pool is taken away: a repeat is still answered (from the cache).
    let gate_pool = app.services.gate_pool.clone();
    let held: Vec<_> = tokio::task::spawn_blocking(move || {
        (0..gate_pool.max_size())
            .map(|_| gate_pool.get().expect("conn"))
            .collect::<Vec<_>>()
    })
    .await
    .expect("hold");
    let started = Instant::now();
    let (status, answer) = app.post_scans("not-a-token", &body).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    // A token never seen before needs the database, and says plainly it is busy.
    let (status, answer) = app.post_scans("another-unknown-token", &body).await;
    assert_eq!(status, 503, "{answer}");
    drop(held);
}
