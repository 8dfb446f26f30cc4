//! The confirmation resend and the e-mail outbox, against a real SMTP conversation with
//! a test server (`helpers/smtp.rs`): delivery, retries with backoff, refusals, the
//! once-a-minute limit and demo mode's mail log.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db;
use voelgoed::orders::outbox::RetryPolicy;
use voelgoed::orders::PlacedOrder;

use crate::helpers::orders::{place_a, resend, wait_for_email_status};
use crate::helpers::smtp::{Behaviour, SmtpServer};
use crate::helpers::{csrf_token, spawn_app, spawn_app_with, text_of, TestApp};

pub(crate) async fn app_with_smtp(server: &SmtpServer) -> TestApp {
    let url = server.url.clone();
    spawn_app_with(move |settings| {
        settings.smtp = Some(url);
        settings.email_retry = RetryPolicy {
            first_delay: Duration::from_millis(200),
            max_attempts: 3,
            ..RetryPolicy::default()
        };
    })
    .await
}

/// An app whose e-mails go to a test SMTP server behaving as told, an order of two
/// tickets, and its owner signed in, who has just asked for the confirmation again.
struct Resent {
    server: SmtpServer,
    app: TestApp,
    order: PlacedOrder,
    client: reqwest::Client,
}

async fn resend_through(behaviour: Behaviour) -> Resent {
    let server = SmtpServer::start(behaviour).await;
    let app = app_with_smtp(&server).await;
    let order = place_a(&app, ("Anna de Vries", "Anna@Example.test"), 2, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    assert_eq!(resend(&app, &client, order.id).await.status(), 303);
    Resent {
        server,
        app,
        order,
        client,
    }
}

#[tokio::test]
async fn a_resent_confirmation_is_delivered_over_smtp_and_the_page_says_sent() {
    let Resent {
        server,
        app,
        order,
        client,
    } = resend_through(Behaviour::Accept).await;

    let (_, attempts, _) = wait_for_email_status(&app, order.id, "sent").await;

    assert_eq!(attempts, 1);
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("To: anna@example.test"), "{}", messages[0]);
    assert!(messages[0].contains(&order.code));
    assert!(messages[0].contains(&order.ticket_codes[1]));
    let page = app.page(&client, &format!("/orders/{}", order.id)).await;
    assert!(text_of(&page, "tr[data-email-status]").unwrap().contains("sent"));
    assert!(text_of(&page, "ul.audit")
        .unwrap()
        .contains("resend-confirmation by Alice Owner"));
}

#[tokio::test]
async fn a_busy_smtp_server_is_retried_with_growing_delays_then_the_email_is_marked_failed() {
    let Resent {
        server,
        app,
        order,
        client,
    } = resend_through(Behaviour::Busy).await;

    let (_, attempts, error) = wait_for_email_status(&app, order.id, "failed").await;

    assert_eq!(attempts, 3);
    assert!(error.as_deref().unwrap_or_default().contains("busy"), "{error:?}");
    let times = server.connection_times();
    assert_eq!(times.len(), 3);
    let (first_gap, second_gap) = (times[1] - times[0], times[2] - times[1]);
    assert!(first_gap >= Duration::from_millis(180), "{first_gap:?}");
    assert!(
        second_gap >= Duration::from_millis(380),
        "backoff doubles: {second_gap:?}"
    );
    let page = app.page(&client, &format!("/orders/{}", order.id)).await;
    assert_eq!(text_of(&page, "[data-attempts]").as_deref(), Some("3"));
    assert!(text_of(&page, "[data-last-error]").unwrap().contains("busy"));
    assert!(text_of(&page, "tr[data-email-status]").unwrap().contains("failed"));
}

#[tokio::test]
async fn a_server_busy_twice_gets_the_email_on_the_third_attempt() {
    let Resent { server, app, order, .. } = resend_through(Behaviour::BusyThenAccept(2)).await;

    let (_, attempts, _) = wait_for_email_status(&app, order.id, "sent").await;

    assert_eq!(attempts, 3);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_is_not_retried() {
    let Resent { server, app, order, .. } = resend_through(Behaviour::RejectRecipient).await;

    let (_, attempts, error) = wait_for_email_status(&app, order.id, "failed").await;

    assert_eq!(attempts, 1);
    assert!(error.unwrap_or_default().contains("no such mailbox"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.connection_times().len(), 1);
}

#[tokio::test]
async fn a_confirmation_is_resent_at_most_once_a_minute_per_order() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let second_order = place_a(&app, ("Bram", "bram@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;

    assert_eq!(resend(&app, &client, order.id).await.status(), 303);
    let again = resend(&app, &client, order.id).await;
    assert_eq!(again.status(), 429);
    assert!(again.text().await.unwrap().contains("less than a minute ago"));
    assert_eq!(resend(&app, &client, second_order.id).await.status(), 303, "per order");

    assert_eq!(app.count("email_outbox").await, 2);
    // Without --smtp the outbox delivers to the log.
    wait_for_email_status(&app, order.id, "sent").await;
}

#[tokio::test]
async fn without_smtp_a_resent_confirmation_is_written_to_the_mail_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    let path = log.clone();
    let app = spawn_app_with(move |settings| settings.mail_log = Some(path)).await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;

    resend(&app, &client, order.id).await;
    wait_for_email_status(&app, order.id, "sent").await;

    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.contains("To: anna@example.test"));
    assert!(written.contains(&order.code) && written.contains(&order.ticket_codes[0]));
}

#[tokio::test]
async fn a_refunded_order_has_no_confirmation_to_resend() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let token = csrf_token(&app.page(&client, &format!("/orders/{}", order.id)).await).unwrap();
    app.db(move |conn| {
        use voelgoed::db::schema::orders;
        diesel::update(orders::table.find(order.id))
            .set(orders::status.eq("refunded"))
            .execute(conn)
            .unwrap()
    })
    .await;

    let response = client
        .post(app.url(&format!("/orders/{}/resend-confirmation", order.id)))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("no tickets to confirm"));
    assert_eq!(app.count("email_outbox").await, 0);
    let page = app.page(&client, &format!("/orders/{}", order.id)).await;
    assert!(!page.contains("Resend confirmation e-mail"));
}

/// Two instances' workers share one outbox and a slow SMTP server whose deliveries,
/// taken together, outlast a lease: each message still goes out exactly once, because a
/// worker claims one message at a time and only the lease holder writes the outcome.
#[tokio::test]
async fn two_workers_and_a_slow_smtp_server_send_each_message_once() {
    let server = SmtpServer::start(Behaviour::Slow(Duration::from_millis(250))).await;
    let url = server.url.clone();
    let first = spawn_app_with(move |settings| {
        settings.smtp = Some(url);
        settings.email_retry = RetryPolicy {
            first_delay: Duration::from_millis(100),
            max_attempts: 3,
            lease: Duration::from_millis(1_500),
        };
    })
    .await;
    let second = crate::helpers::another_instance(&first).await;
    let mut orders = Vec::new();
    for n in 0..8 {
        orders.push(
            place_a(
                &first,
                (&format!("Buyer {n}"), &format!("b{n}@example.test")),
                1,
                db::now_ms(),
            )
            .await
            .id,
        );
    }
    let tenant = first.fixture.org_a;
    let queued = orders.clone();
    first
        .db(move |conn| {
            use voelgoed::db::schema::users;
            let owner: i64 = users::table
                .filter(users::email.eq("owner@a.test"))
                .select(users::id)
                .first(conn)
                .unwrap();
            for order in queued {
                voelgoed::orders::queue_confirmation(conn, &tenant, owner, order)
                    .unwrap()
                    .unwrap();
            }
        })
        .await;
    first.services.outbox.wake();
    second.services.outbox.wake();

    for order in &orders {
        let (_, attempts, _) = wait_for_email_status(&first, *order, "sent").await;
        assert_eq!(attempts, 1, "order {order}");
    }
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let messages = server.messages();
    assert_eq!(messages.len(), orders.len(), "each confirmation exactly once");
}
