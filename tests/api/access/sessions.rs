//! Session rules: idle timeout besides the absolute one, sign out everywhere, the purge
//! job, and live streams that end with their session.

use std::time::Duration;

use crate::helpers::sse::SseReader;
use crate::helpers::{csrf_token, spawn_app, spawn_app_with, TestApp};

async fn post_with_csrf(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    let token = csrf_token(&app.page(client, "/events").await).unwrap();
    client
        .post(app.url(path))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, client: &reqwest::Client, path: &str) -> u16 {
    client.get(app.url(path)).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_session_left_idle_ends_and_one_in_use_lives_on() {
    let app = spawn_app_with(|s| s.session_idle = Duration::from_millis(1500)).await;
    let idle = app.signed_in("owner@a.test").await;
    let busy = app.signed_in("super@a.test").await;

    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(status_of(&app, &busy, "/events").await, 200, "used every 400 ms");
    }

    assert_eq!(status_of(&app, &idle, "/events").await, 401, "idle for 2.4 s");
    assert_eq!(status_of(&app, &busy, "/events").await, 200);
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_that_user_only() {
    let app = spawn_app().await;
    let phone = app.signed_in("owner@a.test").await;
    let laptop = app.signed_in("owner@a.test").await;
    let colleague = app.signed_in("super@a.test").await;

    let response = post_with_csrf(&app, &laptop, "/logout/everywhere").await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");
    assert_eq!(status_of(&app, &phone, "/events").await, 401);
    assert_eq!(status_of(&app, &laptop, "/events").await, 401);
    assert_eq!(status_of(&app, &colleague, "/events").await, 200);
}

#[tokio::test]
async fn the_purge_job_deletes_ended_sessions_and_old_sign_in_attempts() {
    let app = spawn_app_with(|s| s.purge_every = Duration::from_millis(200)).await;
    let _live = app.signed_in("owner@a.test").await;
    let _expired = app.signed_in("super@a.test").await;
    let _ = app.sign_in(&app.client(), "owner@b.test", "wrong").await;
    let _ = app.sign_in(&app.client(), "owner@b.test", "wrong again").await;
    let now = voelgoed::db::now_ms();
    app.db(move |conn| {
        use diesel::prelude::*;
        use voelgoed::db::schema::{sessions, sign_in_attempts, users};
        let supervisor: i64 = users::table
            .filter(users::email.eq("super@a.test"))
            .select(users::id)
            .first(conn)
            .unwrap();
        diesel::update(sessions::table.filter(sessions::user_id.eq(supervisor)))
            .set(sessions::expires_at.eq(now - 1))
            .execute(conn)
            .unwrap();
        // One failure from 20 minutes ago: older than the throttle looks.
        let old = sign_in_attempts::table
            .filter(sign_in_attempts::outcome.eq("failed"))
            .select(diesel::dsl::min(sign_in_attempts::id))
            .first::<Option<i64>>(conn)
            .unwrap()
            .unwrap();
        diesel::update(sign_in_attempts::table.filter(sign_in_attempts::id.eq(old)))
            .set(sign_in_attempts::attempted_at.eq(now - 20 * 60_000))
            .execute(conn)
            .unwrap();
    })
    .await;

    tokio::time::sleep(Duration::from_millis(700)).await;

    assert_eq!(app.count("sessions").await, 1, "the expired one is gone");
    // Left: the recent failure and the two successful sign-ins (they vouch for 30 days).
    assert_eq!(app.count("sign_in_attempts").await, 3);
}

#[tokio::test]
async fn open_streams_end_when_their_session_is_signed_out() {
    let app = spawn_app().await;
    let event = app.fixture.event_a;
    let owner = app.signed_in("owner@a.test").await;
    let colleague = app.signed_in("super@a.test").await;
    let mut dashboard = SseReader::open(&app, &owner, &format!("/sse/events/{event}/occupancy")).await;
    let mut scans = SseReader::open(&app, &owner, &format!("/sse/events/{event}/scans")).await;
    let mut orders = SseReader::open(&app, &owner, "/sse/orders").await;
    let mut other = SseReader::open(&app, &colleague, &format!("/sse/events/{event}/occupancy")).await;

    assert!(
        !dashboard.closes_within(Duration::from_millis(300)).await,
        "open while signed in"
    );
    assert_eq!(post_with_csrf(&app, &owner, "/logout").await.status(), 303);

    assert!(dashboard.closes_within(Duration::from_secs(2)).await);
    assert!(scans.closes_within(Duration::from_secs(2)).await);
    assert!(orders.closes_within(Duration::from_secs(2)).await);
    assert!(
        !other.closes_within(Duration::from_millis(500)).await,
        "another user's stream stays"
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_the_streams_of_every_session() {
    let app = spawn_app_with(|s| s.session_check_every = Duration::from_millis(300)).await;
    let second = crate::helpers::another_instance(&app).await;
    let event = app.fixture.event_a;
    let phone = app.signed_in("owner@a.test").await;
    let laptop = app.signed_in("owner@a.test").await;
    let mut on_phone = SseReader::open(&app, &phone, &format!("/sse/events/{event}/scans")).await;
    let mut on_second = SseReader::open(&second, &phone, &format!("/sse/events/{event}/occupancy")).await;
    assert!(
        !on_second.closes_within(Duration::from_millis(700)).await,
        "open while signed in"
    );

    assert_eq!(post_with_csrf(&app, &laptop, "/logout/everywhere").await.status(), 303);

    assert!(on_phone.closes_within(Duration::from_secs(2)).await);
    // On another instance (whose in-process bus did not carry the sign-out) the stream
    // ends at the next check of its session, and a reconnect is refused at once.
    assert!(on_second.closes_within(Duration::from_secs(2)).await);
    let reconnect = phone
        .get(second.url(&format!("/sse/events/{event}/scans")))
        .send()
        .await
        .unwrap();
    assert_eq!(reconnect.status(), 401);
}

#[tokio::test]
async fn an_open_stream_ends_when_its_session_runs_idle() {
    let app = spawn_app_with(|s| s.session_idle = Duration::from_millis(1200)).await;
    let owner = app.signed_in("owner@a.test").await;
    let mut stream = SseReader::open(&app, &owner, &format!("/sse/events/{}/occupancy", app.fixture.event_a)).await;

    // The stream itself is not use: nobody is at the page.
    assert!(!stream.closes_within(Duration::from_millis(600)).await);
    assert!(stream.closes_within(Duration::from_secs(2)).await);
    assert_eq!(status_of(&app, &owner, "/events").await, 401);
}

#[tokio::test]
async fn a_signed_out_user_gets_no_new_stream() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    post_with_csrf(&app, &owner, "/logout").await;

    assert_eq!(status_of(&app, &owner, "/sse/orders").await, 401);
}

/// Idle sessions end after 1.5 s (besides the absolute limit).
fn idle_after_1500_ms(settings: &mut voelgoed::config::Settings) {
    settings.session_idle = Duration::from_millis(1500);
}

crate::helpers::on_both_backends!(
    sessions_the_sign_in_throttle_and_the_audit_log_work_alike:
    spawn_app_with(idle_after_1500_ms),
    crate::helpers::postgres::spawn_postgres_app_with("voelgoed_sessions", idle_after_1500_ms),
);

/// The session, throttle and audit rules above, in one conformance run on each backend.
async fn sessions_the_sign_in_throttle_and_the_audit_log_work_alike(app: TestApp) {
    let guesses = (0..12).map(|i| {
        let app = &app;
        async move {
            app.sign_in(&app.client(), "owner@a.test", &format!("guess {i}"))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert!(statuses.iter().filter(|s| **s == 401).count() <= 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");

    let owner = app.signed_in("owner@b.test").await;
    let mut stream = SseReader::open(&app, &owner, "/sse/orders").await;
    assert_eq!(post_with_csrf(&app, &owner, "/logout/everywhere").await.status(), 303);
    assert!(stream.closes_within(Duration::from_secs(2)).await);

    let idle = app.signed_in("owner@b.test").await;
    let page = app.page(&idle, "/audit").await;
    assert!(page.contains("sign-out-everywhere"), "the audit log has the sign-out");
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(status_of(&app, &idle, "/events").await, 401, "idle past 1.5 s");
}
