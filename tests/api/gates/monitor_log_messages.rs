//! The monitor's messages: a log redraw comes in small messages that add up to the page's
//! log, a stream opened from the page sends only the rows after those it shows, and the
//! panel pushes only its parts that changed.

use std::time::{Duration, Instant};

use crate::helpers::sse::{scan_ids, Message, SseReader};
use crate::helpers::{batch, scan, spawn_app, TestApp};

/// What one message of rows may carry (`src/monitor/log_messages.rs`).
const MESSAGE_BYTES: usize = 2_048;

fn monitor(app: &TestApp) -> String {
    format!("/events/{}/scans", app.fixture.event_a)
}

async fn admit_many(app: &TestApp, token: &str, count: i64, prefix: &str) {
    let codes = app.sell_tickets_a(count).await.ticket_codes;
    let scans = codes
        .iter()
        .enumerate()
        .map(|(i, code)| scan(&format!("{prefix}{i}"), code, "in"));
    let (status, _) = app.post_scans(token, &batch(scans.collect())).await;
    assert_eq!(status, 200);
}

/// Every message until nothing more comes for a second.
async fn until_quiet(reader: &mut SseReader) -> Vec<Message> {
    let mut messages = Vec::new();
    while let Some(message) = reader.next(Duration::from_secs(1)).await {
        messages.push(message);
    }
    messages
}

/// The log's messages until nothing more comes for a second.
async fn log_messages(reader: &mut SseReader) -> Vec<Message> {
    let mut messages = until_quiet(reader).await;
    messages.retain(|m| ["scan-log", "scan-line"].contains(&m.event.as_str()));
    messages
}

/// The rows of the log on a monitor page, newest first.
fn rows_on(page: &str) -> Vec<i64> {
    scan_ids(&page[page.find(r#"id="scan-log""#).expect("the log")..])
}

/// The address the page's live area connects to (`sse-connect`), unescaped.
fn stream_of(page: &str) -> String {
    let start = page.find(r#"sse-connect=""#).expect("a live area") + r#"sse-connect=""#.len();
    page[start..][..page[start..].find('"').unwrap()].replace("&amp;", "&")
}

#[tokio::test]
async fn a_long_log_is_redrawn_in_small_messages_that_add_up_to_the_pages_log() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    admit_many(&app, &north, 40, "r").await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, &monitor(&app)).await;

    let path = format!("/sse/events/{}/scans", app.fixture.event_a);
    let mut reader = SseReader::open(&app, &client, &path).await;
    let messages = log_messages(&mut reader).await;

    assert!(messages.len() > 1, "40 rows are more than one message");
    assert_eq!(messages[0].event, "scan-log", "the table first");
    assert!(messages[1..].iter().all(|m| m.event == "scan-line"));
    // As the browser shows them: the table's rows, then each message's on top.
    let mut shown = Vec::new();
    for message in &messages {
        let rows = scan_ids(&message.data);
        let bound = MESSAGE_BYTES + if message.event == "scan-log" { 600 } else { 0 };
        assert!(message.data.len() <= bound, "{} bytes", message.data.len());
        assert_eq!(
            message.id.as_deref().map(str::parse::<i64>),
            Some(Ok(rows[0])),
            "its newest row"
        );
        shown.splice(0..0, rows);
    }
    let on_page = rows_on(&page);
    assert_eq!(on_page.len(), 40);
    assert_eq!(shown, on_page, "the same rows in the same order as the page");
}

#[tokio::test]
async fn the_stream_opened_from_the_page_sends_only_the_rows_after_those_it_shows() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    admit_many(&app, &north, 3, "before").await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, &monitor(&app)).await;
    let newest_on_page = rows_on(&page)[0];
    let path = stream_of(&page);
    assert!(path.ends_with(&format!("since={newest_on_page}")), "{path}");

    let mut reader = SseReader::open(&app, &client, &path).await;
    let at_open = log_messages(&mut reader).await;
    admit_many(&app, &north, 1, "after").await;
    let started = Instant::now();
    let line = loop {
        let message = reader.next(Duration::from_secs(5)).await.expect("the new row");
        if message.event == "scan-line" {
            break message;
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    };

    assert!(at_open.is_empty(), "nothing the page shows is sent again: {at_open:?}");
    let rows = scan_ids(&line.data);
    assert!(rows.len() == 1 && rows[0] > newest_on_page, "{rows:?}");
}

#[tokio::test]
async fn a_since_that_is_no_log_position_is_refused() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    for junk in ["abc", "-1", "1-x", "1.5"] {
        let path = format!("/sse/events/{}/scans?since={junk}", app.fixture.event_a);
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{junk}");
        let body = response.text().await.unwrap();
        assert!(body.contains("since must be a scan log position"), "{junk}: {body}");
    }
}

#[tokio::test]
async fn a_scan_pushes_only_the_panel_parts_it_changed_each_as_its_own_message() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let client = app.signed_in("owner@a.test").await;
    let path = format!("/sse/events/{}/scans", app.fixture.event_a);
    let mut reader = SseReader::open(&app, &client, &path).await;
    let at_open = until_quiet(&mut reader).await;
    admit_many(&app, &north, 1, "one").await;
    let after_scan = until_quiet(&mut reader).await;

    let parts = |messages: &[Message]| -> Vec<String> {
        let panel = messages.iter().filter(|m| m.event == "scan-panel");
        panel
            .map(|m| {
                assert_eq!(
                    m.data.matches("hx-swap-oob").count(),
                    1,
                    "one part a message: {}",
                    m.data
                );
                m.data[m.data.find("id=\"").unwrap() + 4..]
                    .split('"')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let (opened, pushed) = (parts(&at_open), parts(&after_scan));
    for part in ["scan-panel", "gate-states", "entry-rule", "device-table"] {
        assert!(opened.contains(&part.to_owned()), "{part} on connect: {opened:?}");
    }
    assert!(
        pushed.contains(&"scan-panel".to_owned()),
        "the counts moved: {pushed:?}"
    );
    assert!(
        !pushed.contains(&"entry-rule".to_owned()),
        "the entry rule did not: {pushed:?}"
    );
    let counts = after_scan
        .iter()
        .find(|m| m.data.contains(r#"id="scan-panel""#))
        .unwrap();
    assert_eq!(
        crate::helpers::text_of(&counts.data, r#"[data-metric="occupancy"]"#).as_deref(),
        Some("1")
    );
}
