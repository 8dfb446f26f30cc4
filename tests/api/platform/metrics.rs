//! `GET /metrics`: the Prometheus text format, served to this machine or with the metrics
//! token, and what it counts (scans by result, open live streams, the Redis link),
//! read through HTTP as Prometheus would.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::helpers::sse::SseReader;
use crate::helpers::{batch, scaled_out, scan, spawn_app, spawn_app_with, test_redis, TestApp};
use voelgoed::config::TrustedProxies;

/// The samples of a scrape, `name{labels}` → value, after checking every line is a
/// comment or a sample of a family whose TYPE came before it.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut typed = Vec::<String>::new();
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram", "summary"].contains(&kind), "{line}");
            assert!(!typed.contains(&name.to_owned()), "{name} is typed twice");
            typed.push(name.to_owned());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample is `series value`");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad name: {line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        let family = ["_bucket", "_sum", "_count", ""]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|f| typed.iter().any(|t| t == f)));
        assert!(family.is_some(), "a sample before its TYPE: {line}");
        samples.insert(series.to_owned(), value);
    }
    samples
}

async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let response = app.client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    parse(&response.text().await.unwrap())
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("{series} is not in the scrape"))
}

#[tokio::test]
async fn a_loopback_client_scrapes_the_prometheus_text_format() {
    let app = spawn_app().await;
    app.client().get(app.url("/healthz")).send().await.unwrap();

    let samples = scrape(&app).await;

    assert_eq!(
        value(&samples, r#"voelgoed_db_pool_connections{pool="pages",state="max"}"#),
        8.0
    );
    assert_eq!(
        value(&samples, r#"voelgoed_db_pool_connections{pool="gates",state="max"}"#),
        2.0
    );
    assert_eq!(value(&samples, r#"voelgoed_outbox_messages{state="queued"}"#), 0.0);
    assert!(samples.contains_key("voelgoed_live_renders_total"));
    assert!(samples.contains_key("voelgoed_dashboard_cache_computations_total"));
    // Timed by route pattern, never by raw path.
    let healthz = samples
        .keys()
        .find(|k| k.starts_with("voelgoed_http_request_duration_seconds_count") && k.contains(r#"route="/healthz""#));
    assert!(
        healthz.is_some_and(|k| k.contains(r#"status="200""#)),
        "{:?}",
        samples.keys()
    );
    app.client().get(app.url("/orders/12345")).send().await.unwrap();
    let samples = scrape(&app).await;
    assert!(samples.keys().any(|k| k.contains(r#"route="/orders/{id}""#)));
    assert!(!samples.keys().any(|k| k.contains("12345")));
    assert!(
        !samples.contains_key("voelgoed_redis_connected"),
        "no Redis, no Redis gauge"
    );
}

#[tokio::test]
async fn scans_through_the_device_api_raise_the_scan_counters_by_exactly_what_was_posted() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(2).await.ticket_codes;
    let count = |samples: &HashMap<String, f64>, result: &str| {
        value(samples, &format!("voelgoed_scans_total{{result=\"{result}\"}}"))
    };
    let before = scrape(&app).await;

    let scans = vec![
        scan("m1", &codes[0], "in"),
        scan("m2", &codes[1], "in"),
        scan("m3", &codes[0], "in"),
        scan("m4", "NO-SUCH-TICKET", "in"),
    ];
    let (status, _) = app.post_scans(&token, &batch(scans.clone())).await;
    assert_eq!(status, 200);
    // Sent again (the device did not hear the answer): nothing new is counted.
    let (status, _) = app.post_scans(&token, &batch(scans)).await;
    assert_eq!(status, 200);
    let after = scrape(&app).await;

    assert_eq!(count(&after, "valid") - count(&before, "valid"), 2.0);
    assert_eq!(count(&after, "duplicate") - count(&before, "duplicate"), 1.0);
    assert_eq!(count(&after, "invalid") - count(&before, "invalid"), 1.0);
    assert!(value(&after, "voelgoed_scan_writer_group_scans_count") >= 2.0);
    assert!(after.contains_key("voelgoed_scan_writer_commit_seconds_sum"));
}

fn subscribers(samples: &HashMap<String, f64>, kind: &str) -> f64 {
    value(samples, &format!("voelgoed_sse_subscribers{{kind=\"{kind}\"}}"))
}

#[tokio::test]
async fn open_live_streams_show_by_kind_and_leave_when_closed() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let kiosk = crate::helpers::kiosk::create_link(&app, &owner, "").await;
    let event = app.fixture.event_a;
    let monitor = SseReader::open(&app, &owner, &format!("/sse/events/{event}/scans")).await;
    let dashboard = SseReader::open(&app, &owner, &format!("/sse/events/{event}/occupancy")).await;
    let display = SseReader::open(&app, &app.client(), &format!("{kiosk}/stream")).await;

    let open = scrape(&app).await;
    assert_eq!(subscribers(&open, "scan_monitor"), 1.0);
    assert_eq!(subscribers(&open, "dashboard"), 1.0);
    assert_eq!(subscribers(&open, "kiosk"), 1.0);
    assert_eq!(subscribers(&open, "orders"), 0.0);
    assert!(
        value(&open, "voelgoed_sse_pushes_total") >= 3.0,
        "each got its first frame"
    );

    drop((monitor, dashboard, display));
    // A gone client is noticed on the next write: make every view change.
    let (token, _) = app.device_a("North").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    let closed = loop {
        let samples = scrape(&app).await;
        let open: f64 = ["scan_monitor", "dashboard", "kiosk"]
            .iter()
            .map(|k| subscribers(&samples, k))
            .sum();
        if open == 0.0 || Instant::now() > deadline {
            break samples;
        }
        n += 1;
        let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
        app.post_scans(&token, &batch(vec![scan(&format!("c{n}"), &code, "in")]))
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for kind in ["scan_monitor", "dashboard", "kiosk"] {
        assert_eq!(subscribers(&closed, kind), 0.0, "{kind}");
    }
}

/// An app behind a trusted proxy on loopback (every test client is that proxy).
async fn behind_a_proxy(token: Option<&str>) -> TestApp {
    let token = token.map(str::to_owned);
    spawn_app_with(move |s| {
        s.trusted_proxies = TrustedProxies::parse(&["127.0.0.1".into()]).unwrap();
        s.metrics.token = token;
    })
    .await
}

async fn ask(app: &TestApp, forwarded_for: Option<&str>, bearer: Option<&str>) -> reqwest::Response {
    let mut request = app.client().get(app.url("/metrics"));
    if let Some(client) = forwarded_for {
        request = request.header("X-Forwarded-For", client);
    }
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn from_elsewhere_only_the_right_token_reads_the_metrics() {
    let app = behind_a_proxy(Some("metrics-s3cret")).await;

    let local = ask(&app, Some("127.0.0.1"), None).await;
    let none = ask(&app, Some("203.0.113.9"), None).await;
    let wrong = ask(&app, Some("203.0.113.9"), Some("guess")).await;
    let right = ask(&app, Some("203.0.113.9"), Some("metrics-s3cret")).await;

    assert_eq!(
        local.status(),
        401,
        "through the proxy a client on this machine needs the token too"
    );
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], r#"Bearer realm="metrics""#);
    assert!(none.text().await.unwrap().contains("Authorization: Bearer"));
    assert_eq!(wrong.status(), 403);
    assert!(wrong.text().await.unwrap().contains("token is wrong"));
    assert_eq!(right.status(), 200);
    assert!(parse(&right.text().await.unwrap()).contains_key(r#"voelgoed_scans_total{result="valid"}"#));
}

#[tokio::test]
async fn a_proxy_on_this_machine_does_not_make_its_clients_local() {
    let app = behind_a_proxy(None).await;

    let forwarded = ask(&app, Some("203.0.113.9"), None).await;
    let unnamed = ask(&app, None, None).await;

    assert_eq!(forwarded.status(), 403);
    assert!(forwarded.text().await.unwrap().contains("--metrics-token"));
    assert_eq!(
        unnamed.status(),
        403,
        "a proxied request that names no client is not local"
    );
    // Junk the client wrote before the address the proxy appended does not end the
    // walk early, nor does the client's own claim to be local.
    for written in [
        "x, 203.0.113.9",
        "127.0.0.1, x, 203.0.113.9",
        "unknown, 203.0.113.9",
        // A hop no proxy could name: nobody known, so not this machine.
        "unknown",
    ] {
        assert_eq!(ask(&app, Some(written), None).await.status(), 403, "{written}");
    }
    // Without trusted proxies, X-Forwarded-For is anyone's to write and changes nothing.
    let direct = spawn_app().await;
    assert_eq!(ask(&direct, Some("203.0.113.9"), None).await.status(), 200);
}

#[tokio::test]
async fn metrics_turned_off_are_not_served() {
    let app = spawn_app_with(|s| s.metrics.enabled = false).await;

    let response = ask(&app, None, None).await;

    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("--metrics off"));
}

#[tokio::test]
async fn a_scaled_out_instance_shows_whether_redis_is_connected() {
    let (first, _second) = scaled_out("metrics_redis", &test_redis()).await;

    let samples = scrape(&first).await;

    assert_eq!(value(&samples, "voelgoed_redis_connected"), 1.0);
}
