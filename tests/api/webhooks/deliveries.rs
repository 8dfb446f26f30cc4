//! Order webhooks against a real HTTP endpoint the test starts: signatures that verify,
//! retries on 500 until success, giving up after the stated attempts, nothing for another
//! organisation's events, refunds and voids, and the outbox's rollback. On SQLite and
//! PostgreSQL.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db::{self};

use crate::helpers::orders::{confirmation_form, place_a, refund_through_confirmation, with_reason};
use crate::helpers::webhook_listener::{signature_verifies, Answer, WebhookListener};
use crate::helpers::webhooks::*;
use crate::helpers::{text_of, TestApp};

crate::helpers::on_both_backends!(
    a_paid_order_is_delivered_signed_and_only_to_its_organisation:
    sqlite_app(3),
    postgres_app("webhooks_signed", 3),
);
crate::helpers::on_both_backends!(
    a_delivery_answered_500_is_retried_until_it_succeeds:
    sqlite_app(5),
    postgres_app("webhooks_retry", 5),
);
crate::helpers::on_both_backends!(
    a_delivery_is_given_up_after_the_stated_attempts:
    sqlite_app(3),
    postgres_app("webhooks_give_up", 3),
);
crate::helpers::on_both_backends!(
    a_void_is_delivered_as_order_cancelled:
    sqlite_app(3),
    postgres_app("webhooks_void", 3),
);
crate::helpers::on_both_backends!(
    a_refund_is_delivered_and_a_sale_is_not_when_not_subscribed:
    sqlite_app(3),
    postgres_app("webhooks_refund", 3),
);

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
