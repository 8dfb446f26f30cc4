//! The zones on the live screens: the dashboard, the scan monitor (with each gate's
//! passage), a kiosk and the events overview each show every zone's gauge, number
//! beside the meter; a scan moves the pushed gauge; with twelve zones (headcount marks
//! and alerts included) a scan's push to the dashboard, the overview and a kiosk carries
//! only the gauge it moved, within 2 KB.

use std::time::Duration;

use super::counting::scan;
use super::{add_zone, passage, post_form};
use crate::helpers::sse::SseReader;
use crate::helpers::{kiosk, spawn_app, text_of, TestApp};

/// The text of zone `zone`'s gauge on the page at `path`.
async fn gauge_on(app: &TestApp, client: &reqwest::Client, path: &str, zone: i64) -> String {
    let page = app.page(client, path).await;
    text_of(&page, &format!("#zone-{zone}")).unwrap_or_else(|| panic!("no gauge of zone {zone} on {path}"))
}

/// The stream's next message holding `needle`.
async fn until(stream: &mut SseReader, needle: &str) -> String {
    let message = stream.until_containing(needle, Duration::from_secs(30)).await;
    message.unwrap_or_else(|| panic!("no message with {needle:?}")).data
}

/// The stream's next push: exactly one zone's gauge, in at most 2 KB.
async fn one_gauge_within_2_kb(stream: &mut SseReader, whose: &str) -> String {
    let pushed = stream
        .next_update(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{whose} push"))
        .data;
    assert_eq!(pushed.matches("<li id=\"zone-").count(), 1, "{pushed}");
    assert!(pushed.len() <= 2048, "{whose} push is {} bytes: {pushed}", pushed.len());
    pushed
}

#[tokio::test]
async fn every_screen_shows_the_zones_live() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let event = app.fixture.event_a;
    let arena = add_zone(&app, &owner, "Arena", 10, "warn").await;
    let main = passage(&app, &owner, "Main", None, arena).await;
    let codes = app.sell_tickets_a(10).await.ticket_codes;
    for code in &codes[..3] {
        assert_eq!(scan(&app, &main, code, "in").await.0, "valid");
    }
    let dashboard = format!("/events/{event}");
    let monitor = format!("/events/{event}/scans");
    for path in [dashboard.as_str(), monitor.as_str(), "/events"] {
        let gauge = gauge_on(&app, &owner, path, arena).await;
        assert!(gauge.contains("Arena") && gauge.contains("3 of 10"), "{path}: {gauge}");
    }
    let monitor_page = app.page(&owner, &monitor).await;
    assert_eq!(
        text_of(&monitor_page, "li[data-gate='Main'] .passage").as_deref(),
        Some("outside → Arena")
    );
    let link = kiosk::create_link(&app, &owner, "").await;
    let kiosk_page = app
        .client()
        .get(app.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let gauge = text_of(&kiosk_page, &format!("#zone-{arena}")).expect("the kiosk's gauge");
    assert!(gauge.contains("3 of 10"), "{gauge}");

    // A scan moves the gauge on the dashboard's and the monitor's streams; at 90 % it
    // says so in words.
    let mut board = SseReader::open(&app, &owner, &format!("/sse/events/{event}/occupancy")).await;
    let mut panel = SseReader::open(&app, &owner, &format!("/sse/events/{event}/scans")).await;
    for code in &codes[3..9] {
        assert_eq!(scan(&app, &main, code, "in").await.0, "valid");
    }
    let pushed = until(&mut board, "9 of 10").await;
    assert!(pushed.contains("Nearly full"), "{pushed}");
    until(&mut panel, "9 of 10").await;
}

#[tokio::test]
async fn a_scan_pushes_only_the_zone_it_moved_within_two_kilobytes() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let event = app.fixture.event_a;
    let mut zones = Vec::new();
    for n in 1..=12 {
        zones.push(add_zone(&app, &owner, &format!("Zone number {n:02}"), 2_000, "warn").await);
    }
    // Every zone corrected (a mark each), all but the first near or at capacity (an
    // alert word each).
    for (n, zone) in zones.iter().enumerate() {
        let headcount = format!("/events/{event}/zones/{zone}/headcount");
        let counted = match n {
            0 => "1000",
            n if n % 2 == 0 => "1999",
            _ => "2000",
        };
        assert_eq!(
            post_form(&app, &owner, &headcount, &[("counted", counted)]).await.0,
            303
        );
    }
    let main = passage(&app, &owner, "Main", None, zones[0]).await;
    let codes = app.sell_tickets_a(1).await.ticket_codes;
    let mut board = SseReader::open(&app, &owner, &format!("/sse/events/{event}/occupancy")).await;
    board
        .next_update(Duration::from_secs(5))
        .await
        .expect("the first frame");
    let link = kiosk::create_link(&app, &owner, "").await;
    let mut kiosk_stream = SseReader::open(&app, &app.client(), &format!("{link}/stream")).await;
    kiosk_stream
        .next_update(Duration::from_secs(5))
        .await
        .expect("the kiosk's first frame");
    let mut overview = SseReader::open(&app, &owner, "/sse/events/overview").await;
    overview
        .next_update(Duration::from_secs(5))
        .await
        .expect("the overview's first frame");
    assert_eq!(scan(&app, &main, &codes[0], "in").await.0, "valid");
    // The overview's card too sends the one gauge that moved; so does the kiosk (with
    // its numbers).
    one_gauge_within_2_kb(&mut overview, "the card's").await;
    one_gauge_within_2_kb(&mut kiosk_stream, "the kiosk's").await;
    // The push carries the one gauge that moved (and the event's number), not the
    // twelve, nor the alerts, which did not change.
    let pushed = one_gauge_within_2_kb(&mut board, "the dashboard's").await;
    assert!(
        pushed.contains(&format!("id=\"zone-{}\"", zones[0])) && pushed.contains("1,001 of 2,000"),
        "{pushed}"
    );
    // Even the first frame's twelve gauges, each with its mark and alert, fit 3 KB.
    let page = app.page(&owner, &format!("/events/{event}")).await;
    let start = page.find("<ul class=\"zones\"").expect("the gauges on the page");
    let gauges = &page[start..start + page[start..].find("</ul>").unwrap() + 5];
    assert_eq!(
        gauges.matches("<li id=\"zone-").count(),
        13,
        "twelve zones and the hidden rest"
    );
    assert!(gauges.contains("corrected at") && gauges.contains("Full"), "{gauges}");
    assert!(gauges.len() <= 3072, "{} bytes", gauges.len());
}
