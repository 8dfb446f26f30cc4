//! Webhooks under test: apps that deliver fast to loopback, the endpoint form, and the
//! delivery rows as the outbox holds them.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::config::Settings;
use voelgoed::db::schema::webhook_deliveries;
use voelgoed::db::{self};

use crate::helpers::orders::place;
use crate::helpers::postgres::spawn_postgres_app_with;
use crate::helpers::{csrf_token, spawn_app_with, text_of, TestApp};

pub const WAIT: Duration = Duration::from_secs(15);

/// Deliveries allowed to loopback, retried fast: 100 ms, 200 ms, … up to `attempts`.
pub fn fast_webhooks(attempts: i32) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.webhooks.allow_private = true;
        s.webhooks.retry.first_delay = Duration::from_millis(100);
        s.webhooks.retry.max_attempts = attempts;
    }
}

pub async fn sqlite_app(attempts: i32) -> TestApp {
    spawn_app_with(fast_webhooks(attempts)).await
}

/// With small pools: the shared test server's connections go round many tests.
pub async fn postgres_app(name: &str, attempts: i32) -> TestApp {
    spawn_postgres_app_with(name, |s| {
        fast_webhooks(attempts)(s);
        s.database_limits.pages.connections = 6;
        s.database_limits.exports.connections = 1;
    })
    .await
}

/// Posts the add-endpoint form as `client`: the response.
pub async fn post_endpoint(app: &TestApp, client: &reqwest::Client, url: &str, events: &[&str]) -> reqwest::Response {
    let token = csrf_token(&app.page(client, "/settings/webhooks").await).unwrap();
    let mut form = vec![("csrf_token", token.as_str()), ("url", url)];
    form.extend(events.iter().map(|e| ("event", *e)));
    client
        .post(app.url("/settings/webhooks"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Org A's owner adds an endpoint: its id and secret (shown once on the page).
pub async fn add_endpoint(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let owner = app.signed_in("owner@a.test").await;
    let response = post_endpoint(app, &owner, url, events).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let secret = text_of(&page, "code[data-secret]").expect("the secret is shown once");
    assert!(secret.starts_with("whsec_"), "{secret}");
    (app.newest_id("webhook_endpoints").await, secret)
}

/// (status, attempts, last error) of every delivery, oldest first.
pub async fn deliveries(app: &TestApp) -> Vec<(String, i32, Option<String>)> {
    app.db(|conn| {
        webhook_deliveries::table
            .order(webhook_deliveries::id)
            .select((
                webhook_deliveries::status,
                webhook_deliveries::attempts,
                webhook_deliveries::last_error,
            ))
            .load(conn)
            .unwrap()
    })
    .await
}

pub async fn wait_for_status(app: &TestApp, status: &str) -> Vec<(String, i32, Option<String>)> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let found = deliveries(app).await;
        if (!found.is_empty() && found.iter().all(|(s, _, _)| s == status)) || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn place_b(app: &TestApp) {
    let f = &app.fixture;
    place(
        app,
        f.org_b,
        f.event_b,
        f.ticket_type_b,
        ("Bea", "bea@example.test"),
        1,
        db::now_ms(),
    )
    .await;
}
