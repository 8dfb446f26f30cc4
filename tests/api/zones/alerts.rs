//! A zone reaching capacity: the dashboard's alert says so live, and the
//! `capacity.alert` webhook carries the zone, announced once, on both backends.

use std::time::Duration;

use super::counting::scan;
use super::{add_zone, passage};
use crate::helpers::sse::SseReader;
use crate::helpers::webhook_listener::{Answer, WebhookListener};
use crate::helpers::webhooks::{add_endpoint, postgres_app, sqlite_app, WAIT};
use crate::helpers::TestApp;

crate::helpers::on_both_backends!(
    a_full_zone_alerts_the_dashboard_and_the_webhook_once:
    sqlite_app(3),
    postgres_app("zones_alerts", 3),
);

async fn a_full_zone_alerts_the_dashboard_and_the_webhook_once(app: TestApp) {
    let listener = WebhookListener::start(Answer::Ok).await;
    add_endpoint(&app, &listener.url(), &["capacity.alert"]).await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let pit = add_zone(&app, &owner, "Pit", 2, "warn").await;
    let door = passage(&app, &owner, "Pit door", None, pit).await;
    let codes = app.sell_tickets_a(3).await.ticket_codes;
    let event = app.fixture.event_a;
    let mut board = SseReader::open(&app, &owner, &format!("/sse/events/{event}/occupancy")).await;

    assert_eq!(scan(&app, &door, &codes[0], "in").await.0, "valid");
    assert_eq!(scan(&app, &door, &codes[1], "in").await.0, "valid");
    // Full, and the owner chose to warn: the third is let in, with the zone's warning.
    assert_eq!(
        scan(&app, &door, &codes[2], "in").await,
        ("valid".into(), "Pit full".into())
    );
    let alerted = board.until_containing("Pit: full.", Duration::from_secs(30)).await;
    assert!(alerted.is_some(), "the dashboard says the pit is full");

    let received = listener.wait_for(1, WAIT).await;
    let body = received[0].json();
    assert_eq!(body["type"], "capacity.alert");
    assert_eq!(body["data"]["subject"], "zone");
    assert_eq!(body["data"]["zone"], "Pit");
    assert_eq!(body["data"]["level"], "full");
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let zone_alerts = listener
        .received()
        .iter()
        .filter(|delivery| delivery.json()["data"]["subject"] == "zone")
        .count();
    assert_eq!(zone_alerts, 1, "announced once");
}
