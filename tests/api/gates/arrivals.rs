//! Arrivals through the real pages and streams, with scans scripted through the device
//! API: the chart's bars and caption on the monitor (inside `#arrivals`) and the
//! dashboard, tickets not yet scanned, the forecast, no-shows of an ended event, per-gate
//! rates, the live push (≤ 2 KB a message, computed once for every open page), on both
//! backends, and tenancy.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use voelgoed::db::schema::events;

use crate::helpers::sse::SseReader;
use crate::helpers::{batch, fresh_postgres, spawn_app, spawn_app_with, spawn_on, text_of, TestApp};

const MINUTE: i64 = 60_000;

fn monitor(app: &TestApp) -> String {
    format!("/events/{}/scans", app.fixture.event_a)
}

fn dashboard(app: &TestApp) -> String {
    format!("/events/{}", app.fixture.event_a)
}

/// A scan as a device sends it, scanned at `at` (unix ms).
fn scan_at(id: &str, code: &str, direction: &str, at: i64) -> serde_json::Value {
    let at = Utc.timestamp_millis_opt(at).unwrap().to_rfc3339();
    serde_json::json!({ "id": id, "ticket_code": code, "direction": direction, "scanned_at": at })
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// "HH:MM" in the fixture's time zone.
fn clock(at: i64) -> String {
    Utc.timestamp_millis_opt(at)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .format("%H:%M")
        .to_string()
}

/// The value of `attribute` on the first element matching `css`.
fn attribute(page: &str, css: &str, attribute: &str) -> Option<String> {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse(css).ok()?;
    html.select(&selector)
        .next()?
        .value()
        .attr(attribute)
        .map(str::to_owned)
}

/// Sells `n` tickets of org A's event: their codes.
async fn tickets(app: &TestApp, n: i64) -> Vec<String> {
    app.sell_tickets_a(n).await.ticket_codes
}

/// 4 people in 12 minutes ago, 3 in (and one of the first out) 7 minutes ago, 2 in
/// 2 minutes ago, a duplicate and an unknown code: returns when the first came in.
async fn script_arrivals(app: &TestApp, codes: &[String]) -> i64 {
    let (north, _) = app.device_a("North").await;
    let (south, _) = app.device_a("South").await;
    let first = now_ms() - 12 * MINUTE;
    let mut early: Vec<_> = (0..4)
        .map(|n| scan_at(&format!("a{n}"), &codes[n], "in", first))
        .collect();
    early.push(scan_at("dup", &codes[0], "in", first + 1_000));
    early.push(scan_at("bogus", "NOT-A-TICKET", "in", first + 2_000));
    assert_eq!(app.post_scans(&north, &batch(early)).await.0, 200);
    let mut middle: Vec<_> = (4..7)
        .map(|n| scan_at(&format!("b{n}"), &codes[n], "in", first + 5 * MINUTE))
        .collect();
    middle.push(scan_at("out0", &codes[0], "out", first + 5 * MINUTE + 1_000));
    assert_eq!(app.post_scans(&south, &batch(middle)).await.0, 200);
    let late: Vec<_> = (7..9)
        .map(|n| scan_at(&format!("c{n}"), &codes[n], "in", first + 10 * MINUTE))
        .collect();
    assert_eq!(app.post_scans(&north, &batch(late)).await.0, 200);
    first
}

async fn the_chart_shows_bars_and_caption(app: &TestApp) {
    let codes = tickets(app, 10).await;
    let first = script_arrivals(app, &codes).await;
    let client = app.signed_in("super@a.test").await;

    for path in [monitor(app), dashboard(app)] {
        let page = app.page(&client, &path).await;

        let svg = r#"#arrivals svg[role="img"]"#;
        assert!(text_of(&page, svg).is_some(), "{path}: a chart inside #arrivals");
        let entries = attribute(&page, r#"#arrivals path[data-series="entries"]"#, "data-counts").unwrap();
        let exits = attribute(&page, r#"#arrivals path[data-series="exits"]"#, "data-counts").unwrap();
        // Doors opened with the first entry: bars of 5 minutes from its bar to now.
        assert!(entries.starts_with("4 3 2"), "{path}: {entries}");
        assert!(exits.starts_with("0 1 0"), "{path}: {exits}");
        let bar = first - first.rem_euclid(5 * MINUTE);
        let caption = text_of(&page, "#arrivals figcaption").unwrap();
        assert_eq!(
            caption,
            format!(
                "9 in, 1 out in the last 30 minutes; busiest {}–{} with 4 entries",
                clock(bar),
                clock(bar + 5 * MINUTE)
            ),
            "{path}"
        );
        let not_scanned = text_of(&page, r#"[data-arrivals="not-scanned"]"#).unwrap();
        assert_eq!(not_scanned, "1 of 10 valid tickets not yet scanned (10.0 %)", "{path}");
        let north = text_of(&page, r#"[data-gate-rate="North"]"#).unwrap();
        // North: 2 entries in the last 5 whole minutes, 6 over 12 minutes open.
        assert!(north.contains("0.4") && north.contains("0.5"), "{path}: {north}");
    }
}

#[tokio::test]
async fn monitor_and_dashboard_chart_entries_and_exits_per_five_minutes_on_sqlite() {
    the_chart_shows_bars_and_caption(&spawn_app().await).await;
}

#[tokio::test]
async fn monitor_and_dashboard_chart_entries_and_exits_per_five_minutes_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_on(fresh_postgres("voelgoed_arrivals_chart"), |_| {}, dir).await;
    the_chart_shows_bars_and_caption(&app).await;
}

/// 200 tickets, and 6 people a minute let in for the last 20 whole minutes: 120 in,
/// 80 to come.
async fn six_a_minute_for_twenty_minutes(app: &TestApp) {
    let codes = tickets(app, 200).await;
    let (north, _) = app.device_a("North").await;
    let this_minute = now_ms() - now_ms().rem_euclid(MINUTE);
    let scans: Vec<_> = (0..120)
        .map(|n| {
            let minute = this_minute - (20 - n as i64 / 6) * MINUTE;
            scan_at(&format!("s{n}"), &codes[n], "in", minute + 1_000 + n as i64 * 10)
        })
        .collect();
    assert_eq!(app.post_scans(&north, &batch(scans)).await.0, 200);
}

#[tokio::test]
async fn the_forecast_says_when_everyone_is_in_at_a_steady_rate() {
    let app = spawn_app().await;
    six_a_minute_for_twenty_minutes(&app).await;
    let client = app.signed_in("owner@a.test").await;

    let page = app.page(&client, &monitor(&app)).await;

    let forecast = text_of(&page, r#"[data-arrivals="forecast"]"#).unwrap();
    assert!(forecast.contains("everyone with a ticket is in by"), "{forecast}");
    // Unless a minute turned while the page was drawn: 6 a minute, 80 to come.
    if forecast.starts_with("At the current rate (6.0 a minute)") {
        let (soon, later) = (now_ms() + 80 * MINUTE / 6, now_ms() + 80 * MINUTE / 6 + MINUTE);
        assert!(
            forecast.contains(&clock(soon)) || forecast.contains(&clock(later)),
            "{forecast}: about {}",
            clock(soon)
        );
    }
    let not_scanned = text_of(&page, r#"[data-arrivals="not-scanned"]"#).unwrap();
    assert_eq!(not_scanned, "80 of 200 valid tickets not yet scanned (40.0 %)");
}

/// Issue 27: a forecast never names a time after the event's end.
#[tokio::test]
async fn near_the_end_the_forecast_says_how_many_will_not_be_in_instead_of_a_later_time() {
    let app = spawn_app().await;
    six_a_minute_for_twenty_minutes(&app).await;
    let event = app.fixture.event_a;
    let ends_at = now_ms() + 5 * MINUTE;
    app.db(move |conn| {
        diesel::update(events::table.find(event))
            .set(events::ends_at.eq(ends_at))
            .execute(conn)
            .unwrap()
    })
    .await;
    let client = app.signed_in("owner@a.test").await;

    let page = app.page(&client, &monitor(&app)).await;

    let forecast = text_of(&page, r#"[data-arrivals="forecast"]"#).unwrap();
    // About 6 a minute for 5 minutes: some 30 of the 80 still to come get in.
    assert!(forecast.contains("people will not be in before the end"), "{forecast}");
    assert!(forecast.contains(&clock(ends_at)), "names the end: {forecast}");
    assert!(!forecast.contains("is in by"), "{forecast}");
}

#[tokio::test]
async fn the_first_minutes_give_not_enough_data_yet() {
    let app = spawn_app().await;
    let codes = tickets(&app, 5).await;
    let (north, _) = app.device_a("North").await;
    let scans = (0..3)
        .map(|n| scan_at(&format!("s{n}"), &codes[n], "in", now_ms() - MINUTE))
        .collect();
    app.post_scans(&north, &batch(scans)).await;
    let client = app.signed_in("owner@a.test").await;

    let page = app.page(&client, &dashboard(&app)).await;

    let forecast = text_of(&page, r#"[data-arrivals="forecast"]"#).unwrap();
    assert_eq!(forecast, "Not enough data yet for a forecast.");
}

async fn end_event_a(app: &TestApp) {
    let event_id = app.fixture.event_a;
    app.db(move |conn| {
        diesel::update(events::table.find(event_id))
            .set(events::ends_at.eq(now_ms() - MINUTE))
            .execute(conn)
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_ended_event_shows_its_no_shows_per_ticket_type() {
    let app = spawn_app().await;
    let (tenant, event_id) = (app.fixture.org_a, app.fixture.event_a);
    let vip = app
        .db(move |conn| voelgoed::provisioning::create_ticket_type(conn, &tenant, event_id, "VIP", 9_000, 50).unwrap())
        .await;
    let regular = tickets(&app, 8).await;
    let vip_order = voelgoed::orders::NewOrder {
        event_id,
        buyer_name: "Vera Vip".into(),
        buyer_email: "vera@example.test".into(),
        items: vec![voelgoed::orders::OrderItem::new(vip, 2)],
        created_at: now_ms(),
    };
    let vip_codes = app
        .db(move |conn| {
            voelgoed::orders::place_order(conn, &tenant, &vip_order)
                .unwrap()
                .unwrap()
                .ticket_codes
        })
        .await;
    let (north, _) = app.device_a("North").await;
    // 6 of 8 regulars in (one twice, after going out), 1 of 2 VIPs.
    let at = now_ms() - 30 * MINUTE;
    let mut scans: Vec<_> = (0..6)
        .map(|n| scan_at(&format!("r{n}"), &regular[n], "in", at))
        .collect();
    scans.push(scan_at("r0-out", &regular[0], "out", at + MINUTE));
    scans.push(scan_at("r0-back", &regular[0], "in", at + 2 * MINUTE));
    scans.push(scan_at("v0", &vip_codes[0], "in", at));
    assert_eq!(app.post_scans(&north, &batch(scans)).await.0, 200);
    end_event_a(&app).await;
    let client = app.signed_in("owner@a.test").await;

    let page = app.page(&client, &dashboard(&app)).await;

    let total = text_of(&page, r#"[data-arrivals="no-shows"]"#).unwrap();
    assert_eq!(total, "No-shows: 3 of 10 valid tickets never scanned in (30.0 %)");
    let regular_row = text_of(&page, r#"[data-ticket-type="Regular"]"#).unwrap();
    assert!(
        regular_row.contains("2 of 8") && regular_row.contains("25.0 %"),
        "{regular_row}"
    );
    let vip_row = text_of(&page, r#"[data-ticket-type="VIP"]"#).unwrap();
    assert!(vip_row.contains("1 of 2") && vip_row.contains("50.0 %"), "{vip_row}");
    let caption = text_of(&page, "#arrivals figcaption").unwrap();
    assert!(caption.starts_with("8 in, 1 out since doors opened"), "{caption}");
    assert!(
        text_of(&page, r#"[data-arrivals="forecast"]"#).is_none(),
        "no forecast after the end"
    );
}

#[tokio::test]
async fn another_organisation_sees_none_of_the_arrivals() {
    let app = spawn_app().await;
    let codes = tickets(&app, 10).await;
    script_arrivals(&app, &codes).await;
    let other = app.signed_in("owner@b.test").await;

    let foreign = other.get(app.url(&monitor(&app))).send().await.unwrap();
    let own = app
        .page(&other, &format!("/events/{}/scans", app.fixture.event_b))
        .await;

    assert_eq!(foreign.status(), 404);
    let caption = text_of(&own, "#arrivals figcaption").unwrap();
    assert!(caption.starts_with("0 in, 0 out"), "{caption}");
    let not_scanned = text_of(&own, r#"[data-arrivals="not-scanned"]"#).unwrap();
    assert_eq!(not_scanned, "0 of 0 valid tickets not yet scanned (0 %)");
}

/// Reads the monitor's `arrivals` messages (or the dashboard's `occupancy` ones, which
/// carry its arrivals) until each needle was in one; every message on the way must stay
/// within 2 KB. The messages holding them.
async fn arrivals_messages_with(reader: &mut SseReader, needles: &[&str]) -> Vec<String> {
    let mut found: Vec<Option<String>> = vec![None; needles.len()];
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while found.iter().any(Option::is_none) && std::time::Instant::now() < deadline {
        let Some(message) = reader.next(Duration::from_secs(10)).await else {
            break;
        };
        if message.event == "arrivals" || message.event == "occupancy" {
            assert!(
                message.data.len() <= 2_048,
                "{} bytes: {}",
                message.data.len(),
                message.data
            );
            for (needle, slot) in needles.iter().zip(found.iter_mut()) {
                if message.data.contains(needle) {
                    *slot = Some(message.data.clone());
                }
            }
        }
    }
    found
        .into_iter()
        .zip(needles)
        .map(|(message, needle)| message.unwrap_or_else(|| panic!("no arrivals message with {needle:?}")))
        .collect()
}

#[tokio::test]
async fn the_chart_and_numbers_are_pushed_live_computed_once_for_every_page() {
    let app = spawn_app_with(|s| s.arrivals_every = Duration::from_millis(500)).await;
    let codes = tickets(&app, 10).await;
    let (north, _) = app.device_a("North").await;
    let client = app.signed_in("owner@a.test").await;
    let mut monitors = Vec::new();
    for _ in 0..3 {
        monitors.push(SseReader::open(&app, &client, &format!("/sse/events/{}/scans", app.fixture.event_a)).await);
    }
    let mut board = SseReader::open(&app, &client, &format!("/sse/events/{}/occupancy", app.fixture.event_a)).await;
    for reader in monitors.iter_mut().chain([&mut board]) {
        arrivals_messages_with(reader, &["<strong>10</strong> of 10 valid tickets not yet scanned"]).await;
    }
    let (before, started) = (app.services.arrivals.computations(), std::time::Instant::now());

    let scans = (0..4)
        .map(|n| scan_at(&format!("s{n}"), &codes[n], "in", now_ms() - 2 * MINUTE))
        .collect();
    assert_eq!(app.post_scans(&north, &batch(scans)).await.0, 200);

    for reader in monitors.iter_mut().chain([&mut board]) {
        arrivals_messages_with(
            reader,
            &[
                "<strong>6</strong> of 10 valid tickets not yet scanned",
                r#"data-counts="4"#,
            ],
        )
        .await;
    }
    // Four pages on two channels share one computation per period (500 ms).
    let computed = app.services.arrivals.computations() - before;
    let periods = started.elapsed().as_millis() as u64 / 500;
    assert!(computed <= periods + 2, "{computed} computations in {periods} periods");
}

#[tokio::test]
async fn a_full_chart_with_many_gates_stays_within_two_kilobytes_a_message() {
    let app = spawn_app_with(|s| s.arrivals_every = Duration::from_millis(300)).await;
    let codes = tickets(&app, 480).await;
    let mut devices = Vec::new();
    for gate in 0..14 {
        devices.push(app.device_a(&format!("Gate number {gate:02}")).await.0);
    }
    // Four hours of arrivals, every 5-minute bar busy, over every gate.
    let start = now_ms() - 4 * 60 * MINUTE;
    for (chunk, token) in codes.chunks(40).zip(devices.iter().cycle()) {
        let scans = chunk
            .iter()
            .map(|code| {
                let n = codes.iter().position(|c| c == code).unwrap() as i64;
                scan_at(&format!("s{n}"), code, "in", start + n * 30_000)
            })
            .collect();
        assert_eq!(app.post_scans(token, &batch(scans)).await.0, 200);
    }
    let client = app.signed_in("owner@a.test").await;
    let mut reader = SseReader::open(&app, &client, &format!("/sse/events/{}/scans", app.fixture.event_a)).await;

    let found = arrivals_messages_with(&mut reader, &["arrivals-chart", "arrivals-gates"]).await;
    let (chart, gates) = (&found[0], &found[1]);

    assert!(chart.matches("<path").count() == 2, "one path per series");
    assert!(gates.contains("and 2 more gates"), "{gates}");
}

/// The id of the event named `name` on the signed-in user's `/events`.
fn event_id_named(events_page: &str, name: &str) -> i64 {
    let html = scraper::Html::parse_document(events_page);
    let links = scraper::Selector::parse("a[href^='/events/']").unwrap();
    let link = html
        .select(&links)
        .find(|a| a.text().collect::<String>().trim() == name)
        .unwrap_or_else(|| panic!("{name} listed"));
    link.value().attr("href").unwrap()["/events/".len()..].parse().unwrap()
}

#[tokio::test]
async fn the_demos_past_event_has_its_whole_evening_and_the_live_one_a_curve() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let url = voelgoed::db::DatabaseUrl::parse(db.to_str().unwrap()).unwrap();
    assert!(crate::helpers::demo::run_demo(dir.path()).seeded, "seeded");
    let app = spawn_on(url, |_| {}, dir).await;
    let demo = app.signed_in_as("owner@demo.test", "demo-owner").await;
    let events = app.page(&demo, "/events").await;

    let past = app
        .page(
            &demo,
            &format!("/events/{}", event_id_named(&events, "Autumn Jazz Night")),
        )
        .await;
    let live_id = event_id_named(&events, "Voelgoed Summer Festival");
    let live = app.page(&demo, &format!("/events/{live_id}/scans")).await;

    let counts = |page: &str, series: &str| -> Vec<i64> {
        let css = format!(r#"#arrivals path[data-series="{series}"]"#);
        let counts = attribute(page, &css, "data-counts").unwrap();
        counts.split(' ').map(|n| n.parse().unwrap()).collect()
    };
    let entries = counts(&past, "entries");
    let peak = entries.iter().enumerate().max_by_key(|(_, n)| **n).unwrap().0;
    assert!(
        peak > 1 && peak < entries.len() - 2,
        "doors, a peak, a tail: {entries:?}"
    );
    assert!(entries.iter().sum::<i64>() > 500, "{entries:?}");
    assert!(counts(&past, "exits").iter().sum::<i64>() > 20, "exits and leaving");
    let no_shows = text_of(&past, r#"[data-arrivals="no-shows"]"#).unwrap();
    let rate: f64 = no_shows
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(" %)")
        .parse()
        .unwrap();
    assert!((2.0..15.0).contains(&rate), "{no_shows}");
    let scan_log = text_of(&past, "#arrivals figcaption").unwrap();
    assert!(scan_log.contains("since doors opened; busiest"), "{scan_log}");
    let live_entries = counts(&live, "entries");
    assert!(
        live_entries.iter().sum::<i64>() > 50,
        "the crowd inside came along the curve"
    );
    assert!(
        live_entries[0] < *live_entries.iter().max().unwrap(),
        "{live_entries:?}"
    );
}
