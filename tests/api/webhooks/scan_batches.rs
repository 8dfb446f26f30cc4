//! `scan.recorded` batched at most once a second (across two instances) and a capacity
//! alert announced once when it begins, on SQLite and PostgreSQL.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db::schema::webhook_deliveries;
use voelgoed::db::{self};

use crate::helpers::orders::place_a;
use crate::helpers::webhook_listener::{signature_verifies, Answer, WebhookListener};
use crate::helpers::webhooks::*;
use crate::helpers::{another_instance, batch, scan, TestApp};

crate::helpers::on_both_backends!(
    scans_are_delivered_in_batches_at_most_once_a_second:
    sqlite_app(3),
    postgres_app("webhooks_scans", 3),
);
crate::helpers::on_both_backends!(
    a_capacity_alert_is_announced_once_when_it_begins:
    sqlite_app(3),
    postgres_app("webhooks_alerts", 3),
);

async fn scans_are_delivered_in_batches_at_most_once_a_second(first: TestApp) {
    let second = another_instance(&first).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let (_, secret) = add_endpoint(&first, &listener.url(), &["scan.recorded"]).await;
    let order = place_a(&first, ("Anna", "anna@example.test"), 12, db::now_ms()).await;
    let (north, _) = first.device_a("North").await;
    let (south, _) = second.device_a("South").await;

    // 12 scans over about 2.4 s, through both instances.
    for (i, code) in order.ticket_codes.iter().enumerate() {
        let (app, token) = if i % 2 == 0 {
            (&first, &north)
        } else {
            (&second, &south)
        };
        // A 503 ("send them again": the shared database was busy) is sent again, as a device does.
        let body = batch(vec![scan(&format!("b-{i}"), code, "in")]);
        let mut status = 0;
        for _ in 0..10 {
            status = app.post_scans(token, &body).await.0;
            if status != 503 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(status, 200);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let deadline = std::time::Instant::now() + WAIT;
    let mut delivered = Vec::new();
    while delivered.len() < 12 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        delivered = listener
            .received()
            .iter()
            .flat_map(|r| r.json()["data"]["scans"].as_array().unwrap().clone())
            .collect();
    }
    let mut codes: Vec<&str> = delivered.iter().map(|s| s["ticket_code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    let mut expected: Vec<&str> = order.ticket_codes.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(codes, expected, "every scan once");
    let received = listener.received();
    assert!(received.len() >= 2, "batched over time, not held to the end");
    assert!(
        received.len() < 12,
        "batched: {} deliveries for 12 scans",
        received.len()
    );
    for r in &received {
        assert!(signature_verifies(&secret, r.signature.as_deref().unwrap(), &r.body));
        assert_eq!(r.json()["type"], "scan.recorded");
        assert_eq!(
            r.json()["data"]["count"],
            r.json()["data"]["scans"].as_array().unwrap().len()
        );
    }
    let created: Vec<i64> = first
        .db(|conn| {
            webhook_deliveries::table
                .order(webhook_deliveries::created_at)
                .select(webhook_deliveries::created_at)
                .load(conn)
                .unwrap()
        })
        .await;
    for pair in created.windows(2) {
        assert!(
            pair[1] - pair[0] >= 1_000,
            "at most one a second, across instances: {created:?}"
        );
    }
    let first_scan = &delivered[0];
    assert_eq!(first_scan["event_id"], first.fixture.event_a);
    assert_eq!(first_scan["result"], "valid");
    assert_eq!(first_scan["direction"], "in");
}

async fn a_capacity_alert_is_announced_once_when_it_begins(first: TestApp) {
    let second = another_instance(&first).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    add_endpoint(&first, &listener.url(), &["capacity.alert"]).await;

    // The ticket type holds 500: 450 sold is past 90 %.
    first.sell_tickets_a(450).await;
    let received = listener.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    let body = received[0].json();
    assert_eq!(body["type"], "capacity.alert");
    assert_eq!(body["data"]["event_id"], first.fixture.event_a);
    assert_eq!(body["data"]["subject"], "ticket_type");
    assert_eq!(body["data"]["ticket_type"], "Regular");
    assert_eq!(body["data"]["level"], "near");
    second.sell_tickets_a(50).await;
    let received = listener.wait_for(2, WAIT).await;
    assert_eq!(received[1].json()["data"]["level"], "full");
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    assert_eq!(listener.received().len(), 2, "each alert once, across both instances");
}
