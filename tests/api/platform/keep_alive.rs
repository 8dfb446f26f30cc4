//! Pages and htmx fragments over a kept-alive connection come as fast as over a fresh
//! one: a browser asks for gzip and reuses its connection, and a response written as
//! headers and then a compressed body must not wait for the client's delayed ACK
//! (Nagle's algorithm; the server sets `TCP_NODELAY`). The numbers are in BENCHMARKS.md
//! (`voelgoed-bench bench-pages`); this only catches a reused connection falling ≥ 20 ms behind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::{spawn_app, TestApp};

const ROUNDS: usize = 9;
const ALLOWED_LAG: Duration = Duration::from_millis(20);

#[tokio::test]
async fn a_reused_gzip_connection_serves_pages_and_fragments_as_fast_as_a_fresh_one() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.sell_tickets_a(2).await;
    }
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let reused = client(&jar, true);
    let signed_in = app.sign_in(&reused, "owner@a.test", crate::helpers::PASSWORD).await;
    assert_eq!(signed_in.status(), 303, "sign-in");
    let fresh = client(&jar, false);

    let event = app.fixture.event_a;
    let requests = [
        ("the order list", "/orders".to_owned(), false),
        ("the dashboard", voelgoed::paths::event_dashboard(event), false),
        ("an htmx filter", format!("/orders?status=paid&event={event}"), true),
    ];
    for (name, path, htmx) in &requests {
        // The first request opens the kept-alive connection; the rounds reuse it.
        fetch(&app, &reused, path, *htmx).await;
        let on_reused = median_of(&app, &reused, path, *htmx).await;
        let on_fresh = median_of(&app, &fresh, path, *htmx).await;
        assert!(
            on_reused < on_fresh + ALLOWED_LAG,
            "{name} ({path}): median {on_reused:?} over a reused connection against {on_fresh:?} over fresh ones"
        );
    }
}

/// A client sharing the session in `jar`; `keep_alive: false` opens a connection per request.
fn client(jar: &Arc<reqwest::cookie::Jar>, keep_alive: bool) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none());
    let builder = if keep_alive {
        builder
    } else {
        builder.pool_max_idle_per_host(0)
    };
    builder.build().expect("client")
}

async fn median_of(app: &TestApp, client: &reqwest::Client, path: &str, htmx: bool) -> Duration {
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        fetch(app, client, path, htmx).await;
        times.push(started.elapsed());
    }
    times.sort();
    times[ROUNDS / 2]
}

/// One whole GET as a browser sends it (gzip asked for), body read to its end.
async fn fetch(app: &TestApp, client: &reqwest::Client, path: &str, htmx: bool) {
    let request = client.get(app.url(path)).header("Accept-Encoding", "gzip");
    let request = if htmx {
        request.header("HX-Request", "true")
    } else {
        request
    };
    let response = request.send().await.expect("GET");
    assert_eq!(response.status(), 200, "GET {path}");
    assert_eq!(
        response.headers()["content-encoding"],
        "gzip",
        "GET {path} is compressed"
    );
    assert!(
        !response.bytes().await.expect("body").is_empty(),
        "GET {path} has a body"
    );
}
