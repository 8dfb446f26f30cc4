//! Signed webhooks against a real HTTP endpoint the test starts: signatures that verify,
//! retries on 500 until success, giving up after the stated attempts, nothing for
//! another organisation's events, `scan.recorded` batched at most once a second (across
//! two instances), non-public targets refused without `--webhooks-allow-private` (when
//! added and again at delivery), the outbox's rollback, and bad input answered 4xx.
//! The delivery tests run on SQLite and PostgreSQL.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::config::Settings;
use voelgoed::db::schema::webhook_deliveries;
use voelgoed::db::{self, DatabaseUrl};

use crate::helpers::orders::{confirmation_form, place, place_a, refund_through_confirmation, with_reason};
use crate::helpers::postgres::spawn_postgres_app_with;
use crate::helpers::webhook_listener::{signature_verifies, Answer, WebhookListener};
use crate::helpers::{another_instance, batch, csrf_token, scan, spawn_app_with, text_of, voelgoed, TestApp};

const WAIT: Duration = Duration::from_secs(15);

/// Deliveries allowed to loopback, retried fast: 100 ms, 200 ms, … up to `attempts`.
fn fast_webhooks(attempts: i32) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.webhooks.allow_private = true;
        s.webhooks.retry.first_delay = Duration::from_millis(100);
        s.webhooks.retry.max_attempts = attempts;
    }
}

async fn sqlite_app(attempts: i32) -> TestApp {
    spawn_app_with(fast_webhooks(attempts)).await
}

/// With small pools: the shared test server's connections go round many tests.
async fn postgres_app(name: &str, attempts: i32) -> TestApp {
    spawn_postgres_app_with(name, |s| {
        fast_webhooks(attempts)(s);
        s.database_limits.pages.connections = 6;
        s.database_limits.exports.connections = 1;
    })
    .await
}

/// Posts the add-endpoint form as `client`: the response.
async fn post_endpoint(app: &TestApp, client: &reqwest::Client, url: &str, events: &[&str]) -> reqwest::Response {
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
async fn add_endpoint(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let owner = app.signed_in("owner@a.test").await;
    let response = post_endpoint(app, &owner, url, events).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let secret = text_of(&page, "code[data-secret]").expect("the secret is shown once");
    assert!(secret.starts_with("whsec_"), "{secret}");
    (app.newest_id("webhook_endpoints").await, secret)
}

/// (status, attempts, last error) of every delivery, oldest first.
async fn deliveries(app: &TestApp) -> Vec<(String, i32, Option<String>)> {
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

async fn wait_for_status(app: &TestApp, status: &str) -> Vec<(String, i32, Option<String>)> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let found = deliveries(app).await;
        if (!found.is_empty() && found.iter().all(|(s, _, _)| s == status)) || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn place_b(app: &TestApp) {
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

async fn a_paid_order_is_delivered_signed_and_only_to_its_organisation(app: TestApp) {
    let listener = WebhookListener::start(Answer::Ok).await;
    let (_, secret) = add_endpoint(&app, &listener.url(), &["order.paid"]).await;

    place_b(&app).await;
    let order = place_a(&app, ("Anna", "ANNA@example.test"), 2, db::now_ms()).await;

    listener.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = listener.received();
    assert_eq!(received.len(), 1, "one delivery: org B's sale is not A's");
    let delivery = &received[0];
    assert!(signature_verifies(
        &secret,
        delivery.signature.as_deref().unwrap(),
        &delivery.body
    ));
    assert!(!signature_verifies(
        "whsec_other",
        delivery.signature.as_deref().unwrap(),
        &delivery.body
    ));
    let t: i64 = delivery.signature.as_deref().unwrap()[2..]
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (chrono::Utc::now().timestamp() - t).abs() < 30,
        "t is the time of sending"
    );
    assert_eq!(delivery.content_type.as_deref(), Some("application/json"));
    assert_eq!(delivery.event.as_deref(), Some("order.paid"));
    let body = delivery.json();
    assert_eq!(body["type"], "order.paid");
    assert_eq!(
        body["id"].as_str(),
        delivery.delivery.as_deref(),
        "the delivery id is in both"
    );
    assert_eq!(body["organization_id"], app.fixture.org_a.organization_id());
    assert_eq!(body["data"]["order_id"], order.id);
    assert_eq!(body["data"]["code"], order.code.as_str());
    assert_eq!(body["data"]["buyer_email"], "anna@example.test");
    assert_eq!(body["data"]["gross"], 9_100);
    assert_eq!(body["data"]["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(wait_for_status(&app, "sent").await, [("sent".into(), 1, None)]);
}

#[tokio::test]
async fn a_paid_order_is_delivered_signed_and_only_to_its_organisation_on_sqlite() {
    a_paid_order_is_delivered_signed_and_only_to_its_organisation(sqlite_app(3).await).await;
}

#[tokio::test]
async fn a_paid_order_is_delivered_signed_and_only_to_its_organisation_on_postgres() {
    a_paid_order_is_delivered_signed_and_only_to_its_organisation(postgres_app("webhooks_signed", 3).await).await;
}

async fn a_delivery_answered_500_is_retried_until_it_succeeds(app: TestApp) {
    let listener = WebhookListener::start(Answer::FailFirst(2)).await;
    let (endpoint, _) = add_endpoint(&app, &listener.url(), &["order.paid"]).await;

    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;

    let received = listener.wait_for(3, WAIT).await;
    assert_eq!(received.len(), 3);
    assert!(
        received.iter().all(|r| r.delivery == received[0].delivery),
        "one delivery, sent three times"
    );
    assert!(
        received[2].at - received[0].at >= Duration::from_millis(300),
        "100 ms after the first failure, 200 ms after the second"
    );
    assert_eq!(wait_for_status(&app, "sent").await[0].1, 3);
    let owner = app.signed_in("owner@a.test").await;
    let log = app.page(&owner, &format!("/settings/webhooks/{endpoint}")).await;
    let row = text_of(&log, "tr[data-delivery]").unwrap();
    assert!(row.contains("order.paid") && row.contains("sent"), "{row}");
    assert_eq!(text_of(&log, "td[data-attempts]").as_deref(), Some("3"));
}

#[tokio::test]
async fn a_delivery_answered_500_is_retried_until_it_succeeds_on_sqlite() {
    a_delivery_answered_500_is_retried_until_it_succeeds(sqlite_app(5).await).await;
}

#[tokio::test]
async fn a_delivery_answered_500_is_retried_until_it_succeeds_on_postgres() {
    a_delivery_answered_500_is_retried_until_it_succeeds(postgres_app("webhooks_retry", 5).await).await;
}

async fn a_delivery_is_given_up_after_the_stated_attempts(app: TestApp) {
    let listener = WebhookListener::start(Answer::AlwaysFail).await;
    let (endpoint, _) = add_endpoint(&app, &listener.url(), &["order.paid"]).await;

    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;

    let found = wait_for_status(&app, "failed").await;
    assert_eq!(found.len(), 1);
    let (_, attempts, error) = &found[0];
    assert_eq!(*attempts, 3);
    assert!(error.as_deref().unwrap().contains("500"), "{error:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(listener.received().len(), 3, "nothing after giving up");
    let owner = app.signed_in("owner@a.test").await;
    let log = app.page(&owner, &format!("/settings/webhooks/{endpoint}")).await;
    assert!(text_of(&log, "tr[data-delivery]").unwrap().contains("HTTP 500"));
}

#[tokio::test]
async fn a_delivery_is_given_up_after_the_stated_attempts_on_sqlite() {
    a_delivery_is_given_up_after_the_stated_attempts(sqlite_app(3).await).await;
}

#[tokio::test]
async fn a_delivery_is_given_up_after_the_stated_attempts_on_postgres() {
    a_delivery_is_given_up_after_the_stated_attempts(postgres_app("webhooks_give_up", 3).await).await;
}

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

#[tokio::test]
async fn scans_are_delivered_in_batches_at_most_once_a_second_on_sqlite() {
    scans_are_delivered_in_batches_at_most_once_a_second(sqlite_app(3).await).await;
}

#[tokio::test]
async fn scans_are_delivered_in_batches_at_most_once_a_second_on_postgres() {
    scans_are_delivered_in_batches_at_most_once_a_second(postgres_app("webhooks_scans", 3).await).await;
}

async fn a_refund_is_delivered_and_a_sale_is_not_when_not_subscribed(app: TestApp) {
    let listener = WebhookListener::start(Answer::Ok).await;
    add_endpoint(&app, &listener.url(), &["order.refunded"]).await;
    place_a(&app, ("Other", "other@example.test"), 1, db::now_ms()).await;
    assert_eq!(app.count("webhook_deliveries").await, 0, "order.paid is not subscribed");
    let order = place_a(&app, ("Anna", "anna@example.test"), 2, db::now_ms()).await;
    let owner = app.signed_in("owner@a.test").await;

    assert_eq!(
        refund_through_confirmation(&app, &owner, order.id, "scope=all")
            .await
            .status(),
        303
    );

    let received = listener.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    let body = received[0].json();
    assert_eq!(body["type"], "order.refunded");
    assert_eq!(body["data"]["order_id"], order.id);
    assert_eq!(body["data"]["amount"], 9_100);
    assert_eq!(body["data"]["status"], "refunded");
    assert!(body["data"]["reason"].is_string(), "{body}");
}

async fn a_void_is_delivered_as_order_cancelled(app: TestApp) {
    let listener = WebhookListener::start(Answer::Ok).await;
    add_endpoint(&app, &listener.url(), &["order.cancelled"]).await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 2, db::now_ms()).await;
    let owner = app.signed_in("owner@a.test").await;
    let form = confirmation_form(&app.page(&owner, &format!("/orders/{}/void", order.id)).await);

    let response = owner
        .post(app.url(&format!("/orders/{}/void", order.id)))
        .form(&with_reason(form, "fraud", "stolen card"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);

    let received = listener.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    let body = received[0].json();
    assert_eq!(body["type"], "order.cancelled");
    assert_eq!(body["data"]["order_id"], order.id);
    assert_eq!(body["data"]["status"], "cancelled");
    assert_eq!(body["data"]["reason"], "fraud");
    assert_eq!(body["data"]["note"], "stolen card");
    assert_eq!(body["data"]["tickets"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_void_is_delivered_as_order_cancelled_on_sqlite() {
    a_void_is_delivered_as_order_cancelled(sqlite_app(3).await).await;
}

#[tokio::test]
async fn a_void_is_delivered_as_order_cancelled_on_postgres() {
    a_void_is_delivered_as_order_cancelled(postgres_app("webhooks_void", 3).await).await;
}

#[tokio::test]
async fn a_refund_is_delivered_and_a_sale_is_not_when_not_subscribed_on_sqlite() {
    a_refund_is_delivered_and_a_sale_is_not_when_not_subscribed(sqlite_app(3).await).await;
}

#[tokio::test]
async fn a_refund_is_delivered_and_a_sale_is_not_when_not_subscribed_on_postgres() {
    a_refund_is_delivered_and_a_sale_is_not_when_not_subscribed(postgres_app("webhooks_refund", 3).await).await;
}

/// The rollback half, on its own: an order.paid endpoint, an order placed and rolled back.
#[tokio::test]
async fn an_order_rolled_back_sends_nothing_and_one_committed_sends_once() {
    let app = sqlite_app(3).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    add_endpoint(&app, &listener.url(), &["order.paid"]).await;
    let (tenant, event, ticket_type) = (app.fixture.org_a, app.fixture.event_a, app.fixture.ticket_type_a);

    app.db(move |conn| {
        let order = voelgoed::orders::NewOrder {
            event_id: event,
            buyer_name: "Rolled Back".into(),
            buyer_email: "rb@example.test".into(),
            items: vec![voelgoed::orders::OrderItem::new(ticket_type, 1)],
            created_at: db::now_ms(),
        };
        let _ = conn.transaction(|conn| {
            voelgoed::orders::place_order(conn, &tenant, &order)?;
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        });
    })
    .await;
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;

    listener.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = listener.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json()["data"]["buyer_name"], "Anna");
    assert_eq!(app.count("webhook_deliveries").await, 1);
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

#[tokio::test]
async fn a_capacity_alert_is_announced_once_when_it_begins_on_sqlite() {
    a_capacity_alert_is_announced_once_when_it_begins(sqlite_app(3).await).await;
}

#[tokio::test]
async fn a_capacity_alert_is_announced_once_when_it_begins_on_postgres() {
    a_capacity_alert_is_announced_once_when_it_begins(postgres_app("webhooks_alerts", 3).await).await;
}

#[tokio::test]
async fn the_test_button_sends_a_signed_test_and_a_disabled_endpoint_gets_nothing() {
    let app = sqlite_app(3).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let (endpoint, secret) = add_endpoint(&app, &listener.url(), &["order.paid"]).await;
    let owner = app.signed_in("owner@a.test").await;
    let token = csrf_token(&app.page(&owner, "/settings/webhooks").await).unwrap();
    let post = |path: String| {
        owner
            .post(app.url(&path))
            .form(&[("csrf_token", token.as_str())])
            .send()
    };

    assert_eq!(
        post(format!("/settings/webhooks/{endpoint}/test"))
            .await
            .unwrap()
            .status(),
        303
    );
    let received = listener.wait_for(1, WAIT).await;
    assert_eq!(received[0].json()["type"], "webhook.test");
    assert!(signature_verifies(
        &secret,
        received[0].signature.as_deref().unwrap(),
        &received[0].body
    ));

    assert_eq!(
        post(format!("/settings/webhooks/{endpoint}/disable"))
            .await
            .unwrap()
            .status(),
        303
    );
    assert!(app.page(&owner, "/settings/webhooks").await.contains("disabled"));
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(listener.received().len(), 1, "a disabled endpoint is queued nothing");

    assert_eq!(
        post(format!("/settings/webhooks/{endpoint}/enable"))
            .await
            .unwrap()
            .status(),
        303
    );
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    assert_eq!(listener.wait_for(2, WAIT).await.len(), 2);

    assert_eq!(
        post(format!("/settings/webhooks/{endpoint}/delete"))
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(app.count("webhook_endpoints").await, 0);
    assert_eq!(app.count("webhook_deliveries").await, 0);
    let audited: Vec<(String, Option<i64>)> = app
        .db(|conn| {
            use voelgoed::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::subject_type.eq("webhook"))
                .order(audit_log::id)
                .select((audit_log::action, audit_log::user_id))
                .load(conn)
                .unwrap()
        })
        .await;
    let actions: Vec<&str> = audited.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "webhook-created",
            "webhook-disabled",
            "webhook-enabled",
            "webhook-deleted"
        ]
    );
    assert!(audited.iter().all(|(_, user)| user.is_some()), "each names the owner");
}

#[tokio::test]
async fn private_and_loopback_targets_are_refused_without_the_flag() {
    let app = spawn_app_with(|s| s.webhooks.retry.first_delay = Duration::from_millis(100)).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let owner = app.signed_in("owner@a.test").await;

    for url in [
        listener.url(),
        format!("http://localhost:{}/hooks", listener.port),
        "http://10.0.0.5/hooks".into(),
        "http://169.254.169.254/latest".into(),
        "http://[::1]/hooks".into(),
        "https://100.64.1.1/".into(),
        "http://198.18.0.1/".into(),
        "http://192.0.0.170/".into(),
        "http://[::7f00:1]/".into(),
        "http://[64:ff9b:1::a00:5]/".into(),
        "http://[2002:a00:5::1]/".into(),
    ] {
        let response = post_endpoint(&app, &owner, &url, &["order.paid"]).await;
        assert_eq!(response.status(), 400, "{url}");
        let body = response.text().await.unwrap();
        assert!(body.contains("--webhooks-allow-private"), "{url}");
        // What a name resolves to stays unsaid: the form is no probe of the network.
        if url.contains("localhost") {
            assert!(!body.contains("127.0.0.1") && !body.contains("::1"), "{url}: {body}");
        }
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);

    // A name that resolved to a public address when it was added and resolves to a
    // loopback one now (as `localhost` does): checked again before delivery.
    let tenant = app.fixture.org_a.organization_id();
    let url = format!("http://localhost:{}/hooks", listener.port);
    app.db(move |conn| {
        diesel::sql_query(format!(
            "INSERT INTO webhook_endpoints (organization_id, url, events, secret, scan_cursor, scan_cursor_at, created_at) \
             VALUES ({tenant}, '{url}', 'order.paid', 'whsec_x', 0, 0, 0)"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;

    let found = wait_for_status(&app, "failed").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, 1, "given up at once: retrying cannot help");
    let error = found[0].2.as_deref().unwrap();
    assert!(
        error.contains("non-public") && !error.contains("127.0.0.1"),
        "{found:?}"
    );
    assert!(listener.received().is_empty(), "nothing reached the loopback listener");
}

#[tokio::test]
async fn bad_endpoint_input_and_another_organisations_endpoint_get_4xx_and_change_nothing() {
    let app = sqlite_app(3).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let (endpoint, _) = add_endpoint(&app, &listener.url(), &["order.paid"]).await;
    let owner = app.signed_in("owner@a.test").await;

    for (url, events, message) in [
        ("not-a-url", vec!["order.paid"], "is not a URL"),
        ("http://exa mple.com/", vec!["order.paid"], "must not contain spaces"),
        ("ftp://example.com/hooks", vec!["order.paid"], "http:// or https://"),
        ("", vec!["order.paid"], "enter the endpoint's URL"),
        ("http://127.0.0.1:1/x\u{7}", vec!["order.paid"], "control characters"),
        (
            listener.url().as_str(),
            vec!["order.shipped"],
            "unknown event &quot;order.shipped&quot;",
        ),
        (listener.url().as_str(), vec![], "choose at least one event"),
    ] {
        let response = post_endpoint(&app, &owner, url, &events).await;
        assert_eq!(response.status(), 400, "{url} {events:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{url}: {page}");
    }
    // From htmx, the reason comes back as the flash fragment.
    let token = csrf_token(&app.page(&owner, "/settings/webhooks").await).unwrap();
    let response = owner
        .post(app.url("/settings/webhooks"))
        .header("HX-Request", "true")
        .form(&[
            ("csrf_token", token.as_str()),
            ("url", "ftp://example.com/"),
            ("event", "order.paid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["hx-retarget"], "#flash");
    assert!(response.text().await.unwrap().contains("http:// or https://"));
    assert_eq!(app.count("webhook_endpoints").await, 1);

    let other = app.signed_in("owner@b.test").await;
    let other_token = csrf_token(&app.page(&other, "/settings/webhooks").await).unwrap();
    assert_eq!(
        other
            .get(app.url(&format!("/settings/webhooks/{endpoint}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    for action in ["test", "disable", "enable", "delete"] {
        let response = other
            .post(app.url(&format!("/settings/webhooks/{endpoint}/{action}")))
            .form(&[("csrf_token", other_token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{action}");
    }
    assert!(!app.page(&other, "/settings/webhooks").await.contains(&listener.url()));
    assert_eq!(app.count("webhook_endpoints").await, 1);
    assert_eq!(app.count("webhook_deliveries").await, 0, "no test was queued");
}

#[tokio::test]
async fn the_admin_command_adds_an_endpoint_and_prints_its_secret() {
    let app = sqlite_app(3).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let database = match &app.services.settings.database {
        DatabaseUrl::Sqlite(url) | DatabaseUrl::Postgres(url) => url.clone(),
    };
    let org = app.fixture.org_a.organization_id().to_string();
    let run = |extra: Vec<String>| {
        let mut args: Vec<String> = ["admin", "create-webhook", "--database", &database, "--org", &org]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        voelgoed(&args)
    };

    let refused = run(vec![
        "--url".into(),
        listener.url(),
        "--event".into(),
        "order.paid".into(),
    ]);
    assert!(!refused.status.success(), "loopback without --webhooks-allow-private");
    let bad = run(vec![
        "--url".into(),
        "ftp://example.com/".into(),
        "--event".into(),
        "order.paid".into(),
        "--webhooks-allow-private".into(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("http:// or https://"));
    let added = run(vec![
        "--url".into(),
        listener.url(),
        "--event".into(),
        "order.paid".into(),
        "--event".into(),
        "order.refunded".into(),
        "--webhooks-allow-private".into(),
    ]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let secret = String::from_utf8(added.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");

    let every = run(vec!["--url".into(), listener.url(), "--webhooks-allow-private".into()]);
    assert!(every.status.success(), "{}", String::from_utf8_lossy(&every.stderr));
    let owner = app.signed_in("owner@a.test").await;
    let page = app.page(&owner, "/settings/webhooks").await;
    assert!(page.contains(&listener.url()) && page.contains("order.refunded"));
    assert!(
        page.contains("order.paid, order.refunded, order.cancelled, scan.recorded, capacity.alert"),
        "none named: every event"
    );
    assert!(!page.contains(&secret), "the secret is not shown again");
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let received = listener.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2, "one order.paid for each endpoint");
    assert!(
        received
            .iter()
            .any(|r| signature_verifies(&secret, r.signature.as_deref().unwrap(), &r.body)),
        "one of them signed with the printed secret"
    );
}
