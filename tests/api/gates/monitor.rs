//! The scan monitor: gate cards, devices, counters, the live scan log with gap-free
//! resume, filters and the capacity warning.

use std::time::Duration;

use crate::helpers::sse::{Message, SseReader};
use crate::helpers::{another_instance, batch, scan, spawn_app, text_of, TestApp};

fn monitor(app: &TestApp) -> String {
    format!("/events/{}/scans", app.fixture.event_a)
}

fn stream(app: &TestApp) -> String {
    format!("/sse/events/{}/scans", app.fixture.event_a)
}

/// Reads messages until one named `event` arrives.
async fn next_named(reader: &mut SseReader, event: &str) -> Message {
    loop {
        let message = reader
            .next(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("no {event} message"));
        if message.event == event {
            return message;
        }
    }
}

async fn admit(app: &TestApp, token: &str, id: &str) -> String {
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let (status, _) = app.post_scans(token, &batch(vec![scan(id, &code, "in")])).await;
    assert_eq!(status, 200);
    code
}

#[tokio::test]
async fn monitor_shows_gates_devices_counts_and_the_latest_scans() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let (_south, _) = app.device_a("South").await;
    let code = admit(&app, &north, "a").await;
    app.post_scans(&north, &batch(vec![scan("b", &code, "in"), scan("c", "BOGUS", "in")]))
        .await;
    let client = app.signed_in("super@a.test").await;

    let page = app.page(&client, &monitor(&app)).await;

    assert_eq!(text_of(&page, r#"[data-metric="valid"]"#).as_deref(), Some("1"));
    assert_eq!(text_of(&page, r#"[data-metric="duplicate"]"#).as_deref(), Some("1"));
    assert_eq!(text_of(&page, r#"[data-metric="invalid"]"#).as_deref(), Some("1"));
    assert_eq!(text_of(&page, r#"[data-metric="occupancy"]"#).as_deref(), Some("1"));
    assert_eq!(text_of(&page, r#"[data-metric="per-minute"]"#).as_deref(), Some("3"));
    let north_card = text_of(&page, r#"[data-gate="North"]"#).unwrap();
    assert!(north_card.contains("1 of 1 online"), "{north_card}");
    let south_card = text_of(&page, r#"[data-gate="South"]"#).unwrap();
    assert!(south_card.contains("0 of 1 online"), "{south_card}");
    let rows = scraper::Html::parse_document(&page);
    let selector = scraper::Selector::parse("#scan-log tr").unwrap();
    let log: Vec<String> = rows.select(&selector).map(|r| r.text().collect()).collect();
    assert_eq!(log.len(), 3);
    assert!(
        log[0].contains("invalid") && log[0].contains("unknown ticket code"),
        "newest first: {log:?}"
    );
    assert!(page.contains("never seen"), "the South scanner has not been heard from");
}

#[tokio::test]
async fn a_posted_scan_arrives_as_a_log_line_carrying_its_scan_id() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let client = app.signed_in("owner@a.test").await;
    let mut reader = SseReader::open(&app, &client, &stream(&app)).await;
    let redraw = next_named(&mut reader, "scan-log").await;
    assert!(redraw.data.contains("No scans yet"));

    admit(&app, &north, "first").await;
    let line = next_named(&mut reader, "scan-line").await;
    // The panel's counts are one of its parts, each a message of its own.
    let counted = loop {
        let panel = next_named(&mut reader, "scan-panel").await;
        if text_of(&panel.data, r#"[data-metric="valid"]"#).as_deref() == Some("1") {
            break panel;
        }
    };

    assert!(line.data.contains("North") && line.data.contains("valid"));
    let id: i64 = line.id.unwrap().parse().unwrap();
    assert!(line.data.contains(&format!(r#"data-scan-id="{id}""#)));
    assert!(counted.data.contains(r#"id="scan-panel""#), "the counts part");
}

#[tokio::test]
async fn a_reconnecting_monitor_gets_exactly_the_lines_it_missed() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let client = app.signed_in("owner@a.test").await;
    let mut reader = SseReader::open(&app, &client, &stream(&app)).await;
    admit(&app, &north, "seen").await;
    let seen = next_named(&mut reader, "scan-line").await.id.unwrap();
    drop(reader);

    for n in 0..3 {
        admit(&app, &north, &format!("missed{n}")).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut reader = SseReader::open_after(&app, &client, &stream(&app), Some(&seen)).await;

    // The missed rows come newest first within a message, older messages first.
    let mut ids = Vec::new();
    while ids.len() < 3 {
        let message = reader.next(Duration::from_secs(5)).await.expect("missed lines");
        assert_ne!(message.event, "scan-log", "no redraw when the buffer covers the gap");
        if message.event == "scan-line" {
            let mut rows = crate::helpers::sse::scan_ids(&message.data);
            assert_eq!(message.id.unwrap().parse::<i64>().ok(), rows.first().copied());
            rows.reverse();
            ids.extend(rows);
        }
    }
    let seen: i64 = seen.parse().unwrap();
    assert!(
        ids.len() == 3 && ids.windows(2).all(|w| w[0] < w[1]) && ids[0] > seen,
        "{ids:?} after {seen}"
    );
}

#[tokio::test]
async fn a_gap_from_before_a_restart_is_redrawn_from_the_database() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    admit(&app, &north, "one").await;
    admit(&app, &north, "two").await;
    let restarted = another_instance(&app).await;
    let client = restarted.signed_in("owner@a.test").await;

    let mut reader = SseReader::open_after(&restarted, &client, &stream(&restarted), Some("1")).await;
    let redraw = next_named(&mut reader, "scan-log").await;

    assert_eq!(redraw.data.matches("<tr data-scan-id").count(), 2);
    assert_eq!(redraw.id.as_deref(), Some("2"));
    let page = restarted.page(&client, &monitor(&restarted)).await;
    assert_eq!(
        text_of(&page, r#"[data-metric="valid"]"#).as_deref(),
        Some("2"),
        "counters rebuilt at start-up"
    );
    assert_eq!(text_of(&page, r#"[data-metric="occupancy"]"#).as_deref(), Some("2"));
}

#[tokio::test]
async fn the_log_filters_by_gate_device_and_result() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let (south, south_id) = app.device_a("South").await;
    admit(&app, &north, "n").await;
    admit(&app, &south, "s").await;
    app.post_scans(&south, &batch(vec![scan("bad", "BOGUS", "in")])).await;
    let client = app.signed_in("owner@a.test").await;

    let by_device = app
        .page(&client, &format!("{}?device={south_id}&gate=&result=", monitor(&app)))
        .await;
    let invalid_only = app.page(&client, &format!("{}?result=invalid", monitor(&app))).await;
    let mut reader = SseReader::open(&app, &client, &format!("{}?result=invalid", stream(&app))).await;
    next_named(&mut reader, "scan-log").await;
    admit(&app, &north, "valid-not-shown").await;
    app.post_scans(&north, &batch(vec![scan("bad2", "BOGUS", "in")])).await;
    let line = next_named(&mut reader, "scan-line").await;

    assert_eq!(by_device.matches("<tr data-scan-id").count(), 2);
    assert_eq!(invalid_only.matches("<tr data-scan-id").count(), 1);
    assert!(
        line.data.contains("invalid") && line.data.contains("North"),
        "only the invalid line: {}",
        line.data
    );
    for junk in ["?gate=abc", "?device=1.5", "?result=maybe"] {
        let response = client
            .get(app.url(&format!("{}{junk}", monitor(&app))))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{junk}");
        let response = client
            .get(app.url(&format!("{}{junk}", stream(&app))))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "stream {junk}");
    }
}

#[tokio::test]
async fn the_monitor_warns_near_and_at_capacity() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let event_id = app.fixture.event_a;
    app.db(move |conn| {
        use diesel::prelude::*;
        use voelgoed::db::schema::events;
        diesel::update(events::table.find(event_id))
            .set(events::capacity.eq(10))
            .execute(conn)
            .unwrap();
    })
    .await;
    let client = app.signed_in("owner@a.test").await;
    for n in 0..8 {
        admit(&app, &north, &format!("a{n}")).await;
    }
    assert!(
        !app.page(&client, &monitor(&app)).await.contains("capacity-warning"),
        "no warning at 80 %"
    );

    admit(&app, &north, "a8").await;
    let near = app.page(&client, &monitor(&app)).await;
    admit(&app, &north, "a9").await;
    let full = app.page(&client, &monitor(&app)).await;

    assert!(near.contains("Nearly full"), "90 % inside");
    assert!(full.contains("At capacity"), "100 % inside");
}

#[tokio::test]
async fn a_busy_gate_reaches_the_log_in_a_few_messages_newest_first_with_every_row() {
    // The served default window: rows within 250 ms of each other go out together.
    let app = crate::helpers::spawn_app_with(|s| s.coalesce = std::time::Duration::from_millis(250)).await;
    let (north, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(40).await.ticket_codes;
    let client = app.signed_in("owner@a.test").await;
    let mut reader = SseReader::open(&app, &client, &stream(&app)).await;
    next_named(&mut reader, "scan-log").await;

    // 40 single-scan requests, four at a time, as fast as the server answers.
    let started = std::time::Instant::now();
    for chunk in codes.chunks(4) {
        let (app, north) = (&app, &north);
        let posts = chunk.iter().map(|code| async move {
            let id = format!("busy-{code}");
            app.post_scans(north, &batch(vec![scan(&id, code, "in")])).await
        });
        for (status, _) in futures_util::future::join_all(posts).await {
            assert_eq!(status, 200);
        }
    }
    let posting = started.elapsed();

    let mut rows: Vec<i64> = Vec::new();
    let (mut messages, mut row_bytes) = (0, 0);
    while rows.len() < 40 {
        let message = next_named(&mut reader, "scan-line").await;
        messages += 1;
        let ids = crate::helpers::sse::scan_ids(&message.data);
        assert!(
            ids.windows(2).all(|w| w[0] > w[1]),
            "newest first in one message: {ids:?}"
        );
        assert_eq!(
            message.id.as_deref().map(str::parse::<i64>),
            Some(Ok(ids[0])),
            "the id is the newest row"
        );
        rows.extend(ids);
        row_bytes += message.data.len();
    }
    rows.sort();
    rows.dedup();
    assert_eq!(rows.len(), 40, "every row once");
    // At most one push per live window, plus the first (sent at once) and the last; a
    // push is cut into messages of at most 2 KB, each full one over 1 KB of rows.
    let window = app.services.settings.coalesce.as_millis();
    let allowed = 2 + (posting.as_millis() / window) as usize + 1 + row_bytes / 1024;
    assert!(
        messages <= allowed,
        "{messages} messages for 40 scans posted in {posting:?} (at most {allowed})"
    );
    assert!(messages < 40, "rows that arrive together go out together");
}
