//! Scaled out: two instances on one PostgreSQL and one real Redis. Whatever happens
//! through one instance shows on the other's live pages; the counters in Redis equal a
//! recount from the database, also through a Redis restart or FLUSHALL.

use std::time::{Duration, Instant};

use voelgoed::db;

use crate::helpers::pgbouncer::{scaled_out_through, PgBouncer};
use crate::helpers::scaled::{counters_equal_a_recount, next_named, uuid};
use crate::helpers::sse::{scan_ids, Message, SseReader};
use crate::helpers::{batch, scaled_out, scan, test_redis, text_of, RedisServer, TestApp};

fn dashboard_stream(app: &TestApp) -> String {
    format!("/sse/events/{}/occupancy", app.fixture.event_a)
}

#[tokio::test]
async fn a_scan_through_a_reaches_a_scan_monitor_on_b_within_a_second() {
    let (a, b) = scaled_out("scan_push", &test_redis()).await;
    let (token, _) = a.device_a("North").await;
    let code = a.place_order_a(1).await.ticket_codes[0].clone();
    let supervisor = b.signed_in("super@a.test").await;
    let mut monitor = SseReader::open(&b, &supervisor, &format!("/sse/events/{}/scans", b.fixture.event_a)).await;
    next_named(&mut monitor, "scan-log", Duration::from_secs(5))
        .await
        .expect("first redraw");

    let posted = Instant::now();
    let (status, _) = a
        .post_scans(
            &token,
            &batch(vec![scan("00000000-0000-4000-8000-000000000001", &code, "in")]),
        )
        .await;

    assert_eq!(status, 200);
    let line = next_named(&mut monitor, "scan-line", Duration::from_secs(1))
        .await
        .expect("the scan's row on B within a second");
    assert!(line.data.contains("valid"), "{}", line.data);
    // The panel's parts come one a message: B's counts part showing the one inside.
    loop {
        let panel = next_named(&mut monitor, "scan-panel", Duration::from_secs(1))
            .await
            .expect("B's counters move");
        if text_of(&panel.data, r#"[data-metric="occupancy"]"#).as_deref() == Some("1") {
            break;
        }
    }
    assert!(posted.elapsed() < Duration::from_secs(2));
    counters_equal_a_recount(&b).await;
}

#[tokio::test]
async fn a_sale_and_a_refund_on_a_move_the_dashboard_on_b() {
    let (a, b) = scaled_out("sale_push", &test_redis()).await;
    let owner_b = b.signed_in("owner@a.test").await;
    let page = b.page(&owner_b, &format!("/events/{}", b.fixture.event_a)).await;
    assert_eq!(text_of(&page, r#"[data-metric="sold"]"#).as_deref(), Some("0"));
    let mut dashboard = SseReader::open(&b, &owner_b, &dashboard_stream(&b)).await;
    dashboard
        .next_update(Duration::from_secs(5))
        .await
        .expect("current state");

    let order = a.sell_tickets_a(3).await;

    let update = dashboard
        .next_update(Duration::from_secs(2))
        .await
        .expect("B's dashboard hears A's sale");
    assert_eq!(text_of(&update.data, r#"[data-metric="sold"]"#).as_deref(), Some("3"));
    let page = b.page(&owner_b, &format!("/events/{}", b.fixture.event_a)).await;
    assert_eq!(
        text_of(&page, r#"[data-metric="sold"]"#).as_deref(),
        Some("3"),
        "B's cached metrics were dropped"
    );

    let owner_a = a.signed_in("owner@a.test").await;
    let confirmation = a
        .page(&owner_a, &format!("/orders/{}/refund?scope=all", order.id))
        .await;
    let form = crate::helpers::orders::confirmation_form(&confirmation);
    let refunded = owner_a
        .post(a.url(&format!("/orders/{}/refund", order.id)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(refunded.status().is_redirection() || refunded.status().is_success());

    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let update = dashboard
            .next_update(Duration::from_secs(3))
            .await
            .expect("refund pushed");
        if text_of(&update.data, r#"[data-metric="refunds"]"#).is_some_and(|r| r.contains("136.50")) {
            break;
        }
        assert!(Instant::now() < deadline, "B never showed A's refund");
    }
    let page = b.page(&owner_b, &format!("/events/{}", b.fixture.event_a)).await;
    assert!(text_of(&page, r#"[data-metric="refunds"]"#).unwrap().contains("136.50"));
}

#[tokio::test]
async fn a_kiosk_link_revoked_on_a_ends_its_stream_on_b_within_a_second() {
    let (a, b) = scaled_out("kiosk_revoke", &test_redis()).await;
    let owner = a.signed_in("owner@a.test").await;
    let links = format!("/events/{}/kiosk-links", a.fixture.event_a);
    let token = crate::helpers::csrf_token(&a.page(&owner, &links).await).unwrap();
    let created = owner
        .post(a.url(&links))
        .form(&[("csrf_token", token.as_str()), ("gate", "")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = created
        .split('"')
        .find(|part| part.contains("/kiosk/"))
        .and_then(|part| part.find("/kiosk/").map(|i| part[i..].to_owned()))
        .expect("the new link is shown");
    let mut kiosk = SseReader::open(&b, &b.client(), &format!("{link}/stream")).await;
    kiosk.next(Duration::from_secs(5)).await.expect("kiosk display");
    let page = a.page(&owner, &links).await;
    let link_id = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("[data-link]").unwrap())
        .next()
        .and_then(|li| li.value().attr("data-link").map(str::to_owned))
        .unwrap();

    let response = owner
        .post(a.url(&format!("{links}/{link_id}/revoke")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let revoked_at = Instant::now();

    assert_eq!(response.status(), 303);
    let notice = next_named(&mut kiosk, "kiosk", Duration::from_secs(1))
        .await
        .expect("B's kiosk told within a second");
    assert!(notice.data.contains("revoked"), "{}", notice.data);
    assert!(revoked_at.elapsed() < Duration::from_secs(1));
    assert!(kiosk.next(Duration::from_secs(2)).await.is_none(), "B's stream ended");
}

#[tokio::test]
async fn the_same_ticket_through_a_and_b_at_once_is_valid_exactly_once_and_counted_once() {
    let (a, b) = scaled_out("duplicates", &test_redis()).await;
    one_ticket_through_both_at_once(a, b).await;
}

/// The same through a PgBouncer in transaction pooling, whose 10 server connections
/// both instances' pools share.
#[tokio::test]
async fn the_same_ticket_through_a_and_b_at_once_through_pgbouncer_is_valid_exactly_once() {
    let bouncer = PgBouncer::start().await;
    let (a, b) = scaled_out_through(&bouncer, "duplicates_pgb", &test_redis()).await;
    one_ticket_through_both_at_once(a, b).await;
}

async fn one_ticket_through_both_at_once(a: TestApp, b: TestApp) {
    let (token_a, _) = a.device_a("North").await;
    let (token_b, _) = a.device_a("South").await;
    for round in 0..10 {
        let code = a.place_order_a(1).await.ticket_codes[0].clone();
        let (through_a, through_b) = (
            batch(vec![scan(&uuid(round, 1), &code, "in")]),
            batch(vec![scan(&uuid(round, 2), &code, "in")]),
        );
        let (first, second) = tokio::join!(a.post_scans(&token_a, &through_a), b.post_scans(&token_b, &through_b));
        let results = [&first.1, &second.1].map(|answer| answer["results"][0]["result"].as_str().unwrap().to_owned());
        assert_eq!((first.0, second.0), (200, 200));
        assert_eq!(
            results.iter().filter(|r| *r == "valid").count(),
            1,
            "round {round}: {results:?}"
        );
    }
    counters_equal_a_recount(&a).await;
    counters_equal_a_recount(&b).await;
}

/// Scans through both instances while the test's own Redis is killed and started again
/// (empty), then flushed: every scan answered 200, stored, and counted once.
#[tokio::test]
async fn redis_killed_restarted_and_flushed_during_scans_loses_nothing() {
    let mut redis = RedisServer::start().await;
    let (a, b) = scaled_out("outage", &redis.url()).await;
    let (token_a, _) = a.device_a("North").await;
    let (token_b, _) = a.device_a("South").await;
    let codes = a.place_order_a(120).await.ticket_codes;
    let supervisor = b.signed_in("super@a.test").await;
    let mut monitor = SseReader::open(&b, &supervisor, &format!("/sse/events/{}/scans", b.fixture.event_a)).await;
    let mut slowest = Duration::ZERO;

    for (i, code) in codes.iter().enumerate() {
        match i {
            30 => redis.kill(),
            60 => redis.restart().await,
            90 => redis.flushall(),
            _ => {}
        }
        let (app, token) = if i % 2 == 0 { (&a, &token_a) } else { (&b, &token_b) };
        let direction = if i % 7 == 3 { "out" } else { "in" };
        let started = Instant::now();
        let (status, answer) = app
            .post_scans(token, &batch(vec![scan(&uuid(i as u32, 9), code, direction)]))
            .await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(status, 200, "scan {i}: {answer}");
        if i == 40 {
            let ready = reqwest::get(a.url("/readyz")).await.unwrap();
            assert_eq!(ready.status(), 503);
            let body: serde_json::Value = ready.json().await.unwrap();
            let redis = body["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "redis")
                .cloned();
            assert_eq!(
                redis.as_ref().map(|c| c["ok"].clone()),
                Some(serde_json::json!(false)),
                "{body}"
            );
        }
        if i == 45 {
            let status = next_named(&mut monitor, "live-status", Duration::from_secs(3))
                .await
                .expect("the monitor says live updates are paused");
            assert!(status.data.contains("paused"), "{}", status.data);
        }
    }

    assert_eq!(a.count("scans").await, 120, "every scan stored");
    // Both instances reconnect by themselves.
    let deadline = Instant::now() + Duration::from_secs(5);
    for app in [&a, &b] {
        while reqwest::get(app.url("/readyz")).await.unwrap().status() != 200 {
            assert!(Instant::now() < deadline, "not ready again after Redis came back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(
        slowest < Duration::from_secs(1),
        "a dead Redis cost a request {slowest:?}"
    );
    counters_equal_a_recount(&a).await;
    counters_equal_a_recount(&b).await;
    let (tenant, event) = (a.fixture.org_a, a.fixture.event_a);
    let counts = b
        .services
        .scan_counters
        .event_counts(&tenant, event, db::now_ms())
        .await
        .unwrap();
    assert_eq!(counts.totals.valid + counts.totals.invalid + counts.totals.exits, 120);
    // Live again without a reload: a scan through A shows on B's open monitor, as a new
    // line, or inside a redraw when the monitor's resync after the outage lands just
    // after the scan's commit (the redraw then holds the row and the line is not sent).
    let code = a.place_order_a(1).await.ticket_codes[0].clone();
    a.post_scans(&token_a, &batch(vec![scan(&uuid(999, 9), &code, "in")]))
        .await;
    let scan_id: i64 = a.newest_id("scans").await;
    let row = format!(r#"data-scan-id="{scan_id}""#);
    // Generous: on a loaded machine the reconnect and resync take seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .expect("B's monitor live again");
        let message = monitor.next(left).await.expect("B's monitor live again");
        let shown = ["scan-line", "scan-log"].contains(&message.event.as_str()) && message.data.contains(&row);
        if shown {
            break;
        }
    }
}

#[tokio::test]
async fn a_device_revoked_while_proven_on_b_is_refused_by_b_within_the_stated_bound() {
    let (a, b) = scaled_out("revoke_device", &test_redis()).await;
    let (token, device) = a.device_a("North").await;
    let code = a.place_order_a(1).await.ticket_codes[0].clone();
    let (status, _) = b.post_scans(&token, &batch(vec![scan(&uuid(1, 1), &code, "in")])).await;
    assert_eq!(status, 200, "B has proven the token");

    a.revoke_device(device).await;
    let revoked = Instant::now();

    let bound = voelgoed::scanning::PROVEN_FOR + Duration::from_millis(500);
    loop {
        let (status, _) = b
            .post_scans(&token, &batch(vec![scan(&uuid(2, 1), &code, "out")]))
            .await;
        if status == 401 {
            break;
        }
        assert!(
            revoked.elapsed() < bound,
            "B still accepts a revoked token after {:?}",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_monitor_on_b_resuming_with_last_event_id_gets_exactly_the_rows_recorded_on_a() {
    let (a, b) = scaled_out("log_resume", &test_redis()).await;
    let (token, _) = a.device_a("North").await;
    let codes = a.place_order_a(4).await.ticket_codes;
    let supervisor = b.signed_in("super@a.test").await;
    let path = format!("/sse/events/{}/scans", b.fixture.event_a);
    let mut monitor = SseReader::open(&b, &supervisor, &path).await;
    next_named(&mut monitor, "scan-log", Duration::from_secs(5))
        .await
        .expect("first redraw");
    a.post_scans(&token, &batch(vec![scan(&uuid(1, 3), &codes[0], "in")]))
        .await;
    let seen = next_named(&mut monitor, "scan-line", Duration::from_secs(2))
        .await
        .expect("the first row");
    drop(monitor);

    // Three more rows while the monitor is away, each recorded through A.
    for (n, code) in codes[1..].iter().enumerate() {
        let (status, _) = a
            .post_scans(&token, &batch(vec![scan(&uuid(2 + n as u32, 3), code, "in")]))
            .await;
        assert_eq!(status, 200);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut resumed = SseReader::open_after(&b, &supervisor, &path, seen.id.as_deref()).await;

    let mut replayed = Vec::new();
    while let Some(message) = resumed.next(Duration::from_millis(1500)).await {
        assert_ne!(message.event, "scan-log", "resumed without a redraw");
        if message.event == "scan-line" {
            replayed.push(message);
        }
    }
    let scan_id = |m: &Message| text_attr(&m.data, "data-scan-id");
    let first = scan_id(&seen);
    // Rows missed together come back together, newest first in a message.
    let mut missed: Vec<i64> = replayed.iter().flat_map(|m| scan_ids(&m.data)).collect();
    assert_eq!(missed.len(), 3, "exactly the rows it missed: {replayed:?}");
    missed.sort_unstable();
    missed.dedup();
    assert_eq!(missed.len(), 3, "no row twice");
    assert!(missed.iter().all(|id| *id > first), "only rows after the one it had");

    // An id the log no longer reaches gets a redraw from the database.
    let mut stale = SseReader::open_after(&b, &supervisor, &path, Some("1-0")).await;
    let redraw = next_named(&mut stale, "scan-log", Duration::from_secs(3))
        .await
        .expect("a redraw");
    assert_eq!(redraw.data.matches("data-scan-id").count(), 4, "{}", redraw.data);
}

/// The number in the first `attr="N"` of some HTML.
fn text_attr(html: &str, attr: &str) -> i64 {
    let marker = format!("{attr}=\"");
    let start = html.find(&marker).expect("attribute") + marker.len();
    html[start..]
        .split('"')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

/// A Redis that stops answering (SIGSTOP) costs the first request that needs it at most
/// the Redis timeout (250 ms), later ones nothing: the breaker is open, numbers come
/// from the database. Scans never wait for Redis at all.
#[tokio::test]
async fn a_frozen_redis_costs_one_timeout_then_nothing() {
    let redis = RedisServer::start().await;
    let (a, b) = scaled_out("frozen", &redis.url()).await;
    let (token, _) = a.device_a("North").await;
    let codes = a.place_order_a(10).await.ticket_codes;
    a.post_scans(&token, &batch(vec![scan(&uuid(1, 4), &codes[0], "in")]))
        .await;
    let supervisor = b.signed_in("super@a.test").await;
    let monitor = format!("/events/{}/scans", b.fixture.event_a);
    assert!(b.page(&supervisor, &monitor).await.contains("North"));

    redis.freeze(true);
    let mut loads = Vec::new();
    for _ in 0..6 {
        let started = Instant::now();
        let page = b.page(&supervisor, &monitor).await;
        loads.push(started.elapsed());
        assert!(page.contains("North"), "the page loads from the database");
    }
    let mut scans = Vec::new();
    for (n, code) in codes[1..].iter().enumerate() {
        let started = Instant::now();
        let (status, _) = a
            .post_scans(&token, &batch(vec![scan(&uuid(2 + n as u32, 4), code, "in")]))
            .await;
        scans.push(started.elapsed());
        assert_eq!(status, 200);
    }
    redis.freeze(false);

    let first_extra = loads[0].saturating_sub(loads[loads.len() - 1]);
    assert!(
        first_extra < Duration::from_millis(600),
        "first load waited {:?}",
        loads[0]
    );
    let later = loads[2..].iter().max().copied().unwrap_or_default();
    assert!(
        later < Duration::from_millis(200),
        "loads with the breaker open: {loads:?}"
    );
    assert!(
        scans.iter().all(|d| *d < Duration::from_millis(200)),
        "scans: {scans:?}"
    );
    counters_equal_a_recount(&b).await;
}
