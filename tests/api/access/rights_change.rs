//! A change of role or events ends the live streams the new rights no longer allow, on
//! every instance, within 2 s (issue 22, finding 6): a finance user demoted to steward
//! stops receiving the dashboard at once, a supervisor moved to another event stops
//! watching the old one's gates, and a reconnect is asked again under the new rights.

use std::time::Duration;

use crate::helpers::sse::SseReader;
use crate::helpers::{csrf_token, scaled_out, spawn_app, test_redis, TestApp};

/// The owner sets `email`'s role and events on the team page.
async fn change_rights(app: &TestApp, owner: &reqwest::Client, email: &'static str, fields: &[(&str, &str)]) {
    let id = app.user_id(email).await;
    let token = csrf_token(&app.page(owner, "/team").await).unwrap();
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    let response = owner
        .post(app.url(&format!("/team/{id}/role")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "the change is made");
}

/// Finance becomes a steward of event A: no money any more.
async fn make_finance_a_steward(app: &TestApp, owner: &reqwest::Client) {
    let event = app.fixture.event_a.to_string();
    change_rights(app, owner, "finance@a.test", &[("role", "steward"), ("event", &event)]).await;
}

async fn status(app: &TestApp, client: &reqwest::Client, path: &str) -> u16 {
    client.get(app.url(path)).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_finance_user_demoted_to_steward_loses_the_open_dashboard_stream_at_once() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let finance = app.signed_in("finance@a.test").await;
    let event = app.fixture.event_a.to_string();
    let dashboard = format!("/sse/events/{event}/occupancy");
    let mut stream = SseReader::open(&app, &finance, &dashboard).await;
    let mut owners_stream = SseReader::open(&app, &owner, &dashboard).await;
    assert!(
        !stream.closes_within(Duration::from_millis(300)).await,
        "open while allowed"
    );

    make_finance_a_steward(&app, &owner).await;

    assert!(
        stream.closes_within(Duration::from_secs(2)).await,
        "the demoted user's stream ends"
    );
    assert_eq!(status(&app, &finance, &dashboard).await, 403, "and cannot be reopened");
    assert_eq!(status(&app, &finance, &format!("/events/{event}")).await, 403);
    assert!(
        !owners_stream.closes_within(Duration::from_millis(500)).await,
        "another user's stream runs on"
    );
}

#[tokio::test]
async fn a_supervisor_moved_to_another_event_stops_watching_the_old_ones_gates() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let supervisor = app.signed_in("super@a.test").await;
    let old = app.fixture.event_a;
    let new = app.another_event_a().await.0.to_string();
    let mut stream = SseReader::open(&app, &supervisor, &format!("/sse/events/{old}/scans")).await;
    assert!(
        !stream.closes_within(Duration::from_millis(300)).await,
        "open while allowed"
    );

    change_rights(&app, &owner, "super@a.test", &[("role", "supervisor"), ("event", &new)]).await;

    assert!(
        stream.closes_within(Duration::from_secs(2)).await,
        "the old event's stream ends"
    );
    assert_eq!(
        status(&app, &supervisor, &format!("/sse/events/{old}/scans")).await,
        404
    );
    let mut reopened = SseReader::open(&app, &supervisor, &format!("/sse/events/{new}/scans")).await;
    assert!(
        !reopened.closes_within(Duration::from_millis(500)).await,
        "a stream the new rights allow opens and stays open"
    );
}

#[tokio::test]
async fn scaled_out_a_change_on_one_instance_ends_the_stream_open_on_the_other() {
    let (first, second) = scaled_out("rights_change", &test_redis()).await;
    let owner = first.signed_in("owner@a.test").await;
    let finance = second.signed_in("finance@a.test").await;
    let event = first.fixture.event_a.to_string();
    let mut stream = SseReader::open(&second, &finance, &format!("/sse/events/{event}/occupancy")).await;
    assert!(
        !stream.closes_within(Duration::from_millis(300)).await,
        "open while allowed"
    );

    make_finance_a_steward(&first, &owner).await;

    assert!(
        stream.closes_within(Duration::from_secs(2)).await,
        "the stream on the other instance ends within 2 s"
    );
}
