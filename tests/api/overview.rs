//! The live multi-event overview on `GET /events`: each live event's inside / capacity,
//! scans per minute, sold today and open alerts; the other events below; pushed live
//! (≤ 2 KB a message) over `GET /sse/events/overview`, across instances, to the viewer's
//! organisation only.

use std::time::Duration;

use crate::helpers::sse::{Message, SseReader};
use crate::helpers::{batch, scaled_out, scan, spawn_app, test_redis, text_of, TestApp};
use voelgoed::live::{Channel, Update, UpdateKind};

const STREAM: &str = "/sse/events/overview";
const MAX_PUSH: usize = 2048;

fn card(event: i64, metric: &str) -> String {
    format!("#overview-numbers-{event} [data-metric=\"{metric}\"]")
}

async fn admit(app: &TestApp, token: &str, id: &str, code: &str) {
    let (status, answer) = app.post_scans(token, &batch(vec![scan(id, code, "in")])).await;
    assert_eq!(status, 200);
    assert_eq!(answer["results"][0]["result"], "valid", "{answer}");
}

/// Adds another event of org A, `starts_in` ms from now, lasting 3 hours.
async fn another_event_a(app: &TestApp, name: &'static str, starts_in: i64) -> i64 {
    let tenant = app.fixture.org_a;
    app.db(move |conn| {
        let now = voelgoed::db::now_ms();
        let event = voelgoed::provisioning::NewEvent {
            name,
            venue: "Other Hall",
            starts_at: now + starts_in,
            ends_at: now + starts_in + 3 * 3_600_000,
            timezone: "Europe/Amsterdam",
            capacity: 200,
            currency: "EUR",
            sales_open_at: now - 86_400_000,
        };
        voelgoed::provisioning::create_event(conn, &tenant, &event).unwrap()
    })
    .await
}

/// Opens a gate alert at a new gate of org A's event and says so on the bus, as the
/// detector does.
async fn open_alert(app: &TestApp, subject: &str) {
    let (tenant, event, subject) = (app.fixture.org_a, app.fixture.event_a, subject.to_owned());
    app.db(move |conn| {
        use diesel::prelude::*;
        use voelgoed::db::schema::gate_alerts;
        let gate = voelgoed::provisioning::find_or_create_gate(conn, &tenant, event, "North").unwrap();
        let now = voelgoed::db::now_ms();
        diesel::insert_into(gate_alerts::table)
            .values((
                gate_alerts::organization_id.eq(tenant.organization_id()),
                gate_alerts::event_id.eq(event),
                gate_alerts::gate_id.eq(gate),
                gate_alerts::kind.eq("invalid_spike"),
                gate_alerts::subject.eq(subject),
                gate_alerts::started_at.eq(now),
                gate_alerts::last_seen_at.eq(now),
                gate_alerts::detail.eq("14 unknown codes in 2 min"),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
    app.services.bus.publish(Update {
        channel: Channel::alerts(&tenant, event),
        kind: UpdateKind::AlertChanged,
    });
}

/// The next pushed card of `event` whose `metric` reads `value` (every message on the
/// way at most 2 KB).
async fn card_showing(reader: &mut SseReader, event: i64, metric: &str, value: &str) -> Message {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let message = reader
            .next(left)
            .await
            .unwrap_or_else(|| panic!("no card of event {event} with {metric} = {value}"));
        assert!(message.data.len() <= MAX_PUSH, "a push of {} bytes", message.data.len());
        if message.event != "overview-row" {
            continue;
        }
        let shown = text_of(&message.data, &card(event, metric));
        if shown.as_deref().map(str::trim) == Some(value) {
            return message;
        }
    }
}

#[tokio::test]
async fn live_events_show_inside_scans_sold_today_and_alerts_and_the_others_are_listed_below() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let event = app.fixture.event_a;
    let upcoming = another_event_a(&app, "Next Month Gala", 30 * 86_400_000).await;
    let doors_open = another_event_a(&app, "Doors Open Soon", 3_600_000).await;
    let (north, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(3).await.ticket_codes;
    admit(&app, &north, "o1", &codes[0]).await;
    admit(&app, &north, "o2", &codes[1]).await;
    open_alert(&app, "").await;

    let page = app.page(&owner, "/events").await;
    let metric = |metric: &str| text_of(&page, &card(event, metric)).map(|t| t.trim().to_owned());
    assert_eq!(metric("inside").as_deref(), Some("2"));
    assert_eq!(metric("per-minute").as_deref(), Some("2"));
    assert_eq!(metric("sold-today").as_deref(), Some("3"));
    let alerts = metric("alerts").unwrap();
    assert!(alerts.contains("Invalid-scan spike at North"), "{alerts}");
    let inside = text_of(&page, &format!("#overview-numbers-{event} .inside")).unwrap();
    assert!(
        inside.contains("2 inside of 1,000 (0 %)"),
        "text beside the gauge: {inside}"
    );
    assert!(
        page.contains(&format!("href=\"/events/{event}/scans\"")),
        "a link to the monitor"
    );
    assert!(page.contains(r#"aria-live="polite""#));
    assert!(text_of(&page, &format!("#overview-announce-{event}"))
        .unwrap()
        .contains("1 open alert"));
    // Doors open two hours before the start: an event starting in one hour is live.
    assert!(text_of(&page, &format!("#overview-{doors_open}")).is_some());
    // A month away: below, as before, not as a live card.
    assert!(text_of(&page, &format!("#overview-{upcoming}")).is_none());
    let others = text_of(&page, "section[aria-labelledby=other-heading]").unwrap();
    assert!(
        others.contains("Next Month Gala") && others.contains("upcoming"),
        "{others}"
    );
    // Org B's event is not there.
    assert!(!page.contains("Bravo Concert"));
}

#[tokio::test]
async fn a_scan_and_a_sale_push_the_events_card_and_an_alert_is_announced() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let event = app.fixture.event_a;
    let (north, _) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();

    let mut reader = SseReader::open(&app, &owner, STREAM).await;
    card_showing(&mut reader, event, "inside", "0").await;
    admit(&app, &north, "p1", &code).await;
    let pushed = card_showing(&mut reader, event, "inside", "1").await;
    assert!(pushed.data.contains("hx-swap-oob=\"true\""), "{}", pushed.data);
    app.sell_tickets_a(2).await;
    card_showing(&mut reader, event, "sold-today", "3").await;

    open_alert(&app, "").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    let announced = loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let message = reader.next(left).await.expect("the alert's announcement");
        assert!(message.data.len() <= MAX_PUSH);
        if message.data.contains(&format!("id=\"overview-announce-{event}\"")) && message.data.contains("open alert") {
            break message;
        }
    };
    assert!(
        announced.data.contains("Alpha Festival: 1 open alert."),
        "{}",
        announced.data
    );
}

#[tokio::test]
async fn a_push_stays_under_2_kb_with_many_open_alerts() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    for n in 0..12 {
        open_alert(&app, &format!("prefix-{n}")).await;
    }
    let mut reader = SseReader::open(&app, &owner, STREAM).await;
    let first = card_showing(&mut reader, app.fixture.event_a, "inside", "0").await;
    assert!(first.data.contains("and 10 more"), "{}", first.data);
    assert!(first.data.len() <= MAX_PUSH, "{} bytes", first.data.len());
}

#[tokio::test]
async fn another_organisation_sees_neither_the_card_nor_its_pushes() {
    let app = spawn_app().await;
    let owner_b = app.signed_in(&app.fixture.owner_b).await;
    let (event_a, event_b) = (app.fixture.event_a, app.fixture.event_b);
    let page = app.page(&owner_b, "/events").await;
    assert!(text_of(&page, &format!("#overview-{event_b}")).is_some());
    assert!(text_of(&page, &format!("#overview-{event_a}")).is_none());
    assert!(!page.contains("Alpha Festival"));

    let mut reader = SseReader::open(&app, &owner_b, STREAM).await;
    let (north, _) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    admit(&app, &north, "t1", &code).await;
    while let Some(message) = reader.next(Duration::from_secs(2)).await {
        assert!(
            !message.data.contains(&format!("data-event=\"{event_a}\"")),
            "{}",
            message.data
        );
        assert!(!message.data.contains("Alpha Festival"));
    }
    // Anonymous: no stream.
    let anonymous = app.client().get(app.url(STREAM)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_scan_through_instance_a_moves_the_overview_on_instance_b() {
    let (a, b) = scaled_out("overview", &test_redis()).await;
    let owner_on_b = b.signed_in(&b.fixture.owner_a).await;
    let event = a.fixture.event_a;
    let (device_on_a, _) = a.device_a("North").await;
    let code = a.sell_tickets_a(1).await.ticket_codes[0].clone();

    let mut reader = SseReader::open(&b, &owner_on_b, STREAM).await;
    card_showing(&mut reader, event, "inside", "0").await;
    admit(&a, &device_on_a, "i1", &code).await;
    card_showing(&mut reader, event, "inside", "1").await;
    a.sell_tickets_a(1).await;
    card_showing(&mut reader, event, "sold-today", "2").await;
}

#[tokio::test]
async fn a_steward_sees_only_the_events_assigned_to_them_and_links_only_to_the_monitor() {
    let app = spawn_app().await;
    let event = app.fixture.event_a;
    let unassigned = another_event_a(&app, "Not Yours Tonight", 0).await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let page = app.page(&owner, "/events").await;
    assert!(
        text_of(&page, &format!("#overview-{unassigned}")).is_some(),
        "owners see every event"
    );

    let steward = app.signed_in("steward@a.test").await;
    let page = app.page(&steward, "/events").await;
    assert!(text_of(&page, &format!("#overview-{event}")).is_some());
    assert!(!page.contains("Not Yours Tonight"));
    assert!(
        !page.contains(&format!("href=\"/events/{event}\"")),
        "no dashboard for stewards"
    );
    assert!(page.contains(&format!("href=\"/events/{event}/scans\"")));

    let mut reader = SseReader::open(&app, &steward, STREAM).await;
    let first = card_showing(&mut reader, event, "inside", "0").await;
    assert!(
        !first.data.contains(&format!("href=\"/events/{event}\"")),
        "{}",
        first.data
    );
    let supervisor = app.signed_in(&app.fixture.supervisor_a).await;
    let page = app.page(&supervisor, "/events").await;
    assert!(!page.contains("Not Yours Tonight"));
    assert!(
        page.contains(&format!("href=\"/events/{event}\"")),
        "supervisors see the dashboard"
    );
}
