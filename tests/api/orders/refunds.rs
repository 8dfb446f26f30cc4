//! One order's page and its refunds: amounts, transitions, idempotency, roles, the gate
//! and the event dashboard.

use diesel::prelude::*;
use voelgoed::db;
use voelgoed::db::schema::{audit_log, orders, refunds};

use crate::helpers::orders::{
    confirmation_form, order_row, place_a, refund_through_confirmation, reviewed_refund, ticket_ids, with_reason,
};
use crate::helpers::{batch, csrf_token, scan, spawn_app, text_of};

#[tokio::test]
async fn the_order_page_shows_buyer_tickets_with_scans_money_refunds_emails_and_audit() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna de Vries", "anna@example.test"), 2, db::now_ms()).await;
    let (north, _) = app.device_a("North").await;
    app.post_scans(&north, &batch(vec![scan("s-1", &order.ticket_codes[0], "in")]))
        .await;
    let client = app.signed_in("owner@a.test").await;
    let tickets = ticket_ids(&app, order.id).await;
    let response =
        refund_through_confirmation(&app, &client, order.id, &format!("scope=tickets&ticket={}", tickets[1])).await;
    assert_eq!(response.status(), 303);

    let page = app.page(&client, &format!("/orders/{}", order.id)).await;

    assert_eq!(text_of(&page, "[data-buyer]").as_deref(), Some("Anna de Vries"));
    let first = text_of(&page, &format!(r#"tr[data-ticket="{}"]"#, order.ticket_codes[0])).unwrap();
    assert!(first.contains("in at North") && first.contains("valid"), "{first}");
    let second = text_of(&page, &format!(r#"tr[data-ticket="{}"]"#, order.ticket_codes[1])).unwrap();
    assert!(second.contains("refunded"), "{second}");
    assert_eq!(text_of(&page, r#"[data-money="gross"]"#).as_deref(), Some("€91.00"));
    assert_eq!(text_of(&page, r#"[data-money="fees"]"#).as_deref(), Some("€4.55"));
    assert_eq!(text_of(&page, r#"[data-money="refunded"]"#).as_deref(), Some("€45.50"));
    assert_eq!(text_of(&page, r#"[data-money="net"]"#).as_deref(), Some("€40.95"));
    assert!(text_of(&page, "ul.audit").unwrap().contains("refund by Alice Owner"));
    assert!(page.contains("No e-mails sent"));
}

#[tokio::test]
async fn refunding_chosen_tickets_returns_their_prices_keeps_the_fees_and_names_the_owner() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 3, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let tickets = ticket_ids(&app, order.id).await;

    let confirmation = app
        .page(
            &client,
            &format!(
                "/orders/{}/refund?scope=tickets&ticket={}&ticket={}",
                order.id, tickets[0], tickets[2]
            ),
        )
        .await;
    assert!(
        text_of(&confirmation, "h1").unwrap().contains("€91.00"),
        "the amount is shown before"
    );
    assert_eq!(app.count("refunds").await, 0, "the confirmation step changes nothing");
    let form = confirmation_form(&confirmation);
    let response = client
        .post(app.url(&format!("/orders/{}/refund", order.id)))
        .form(&form)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    let (status, gross, fees, net) = order_row(&app, order.id).await;
    assert_eq!((status.as_str(), gross, fees), ("partially_refunded", 13_650, 682));
    assert_eq!(net, 13_650 - 682 - 9_100);
    let (amount, user): (i64, i64) = app
        .db(move |conn| {
            refunds::table
                .filter(refunds::order_id.eq(order.id))
                .select((refunds::amount, refunds::user_id))
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(amount, 9_100);
    assert!(user > 0);
    let audit: Vec<(String, Option<i64>)> = app
        .db(move |conn| {
            audit_log::table
                .filter(audit_log::subject_type.eq("order"))
                .filter(audit_log::subject_id.eq(order.id))
                .select((audit_log::action, audit_log::user_id))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(audit, vec![("refund".to_owned(), Some(user))]);

    // The rest of the order: now refunded whole.
    let response = refund_through_confirmation(&app, &client, order.id, "scope=all").await;
    assert_eq!(response.status(), 303);
    let (status, _, _, net) = order_row(&app, order.id).await;
    assert_eq!((status.as_str(), net), ("refunded", -682));
}

#[tokio::test]
async fn a_refunded_ticket_is_refused_at_the_gate_at_once() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let (north, _) = app.device_a("North").await;
    let client = app.signed_in("owner@a.test").await;

    let response = refund_through_confirmation(&app, &client, order.id, "scope=all").await;
    assert_eq!(response.status(), 303);
    let (status, answer) = app
        .post_scans(&north, &batch(vec![scan("after-refund", &order.ticket_codes[0], "in")]))
        .await;

    assert_eq!(status, 200);
    assert_eq!(answer["results"][0]["result"], "invalid");
    assert_eq!(answer["results"][0]["reason"], "ticket was refunded");
    let page = app.page(&client, &format!("/orders/{}", order.id)).await;
    assert_eq!(text_of(&page, "h1 [data-status]").unwrap().trim(), "refunded");
}

#[tokio::test]
async fn a_double_submitted_refund_refunds_once() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 2, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let tickets = ticket_ids(&app, order.id).await;
    let form = reviewed_refund(&app, &client, order.id, &format!("scope=tickets&ticket={}", tickets[0])).await;
    let post = || {
        client
            .post(app.url(&format!("/orders/{}/refund", order.id)))
            .form(&form)
            .send()
    };

    let (first, second) = tokio::join!(post(), post());
    let third = post().await.unwrap();

    assert_eq!(first.unwrap().status(), 303);
    assert_eq!(second.unwrap().status(), 303);
    assert_eq!(third.status(), 303);
    assert_eq!(app.count("refunds").await, 1);
    let (status, _, _, net) = order_row(&app, order.id).await;
    assert_eq!((status.as_str(), net), ("partially_refunded", 9_100 - 455 - 4_550));
}

#[tokio::test]
async fn a_supervisor_cannot_refund() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let supervisor = app.signed_in("super@a.test").await;

    let review = supervisor
        .get(app.url(&format!("/orders/{}/refund?scope=all", order.id)))
        .send()
        .await
        .unwrap();
    let page = app.page(&supervisor, &format!("/orders/{}", order.id)).await;
    let token = csrf_token(&page).unwrap();
    let post = supervisor
        .post(app.url(&format!("/orders/{}/refund", order.id)))
        .form(&[
            ("csrf_token", token.as_str()),
            ("idempotency_key", "k1"),
            ("scope", "all"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(review.status(), 403);
    assert_eq!(post.status(), 403);
    assert!(
        !page.contains("Refund whole order"),
        "no refund buttons for supervisors"
    );
    assert_eq!(app.count("refunds").await, 0);
    assert_eq!(order_row(&app, order.id).await.0, "paid");
}

#[tokio::test]
async fn refunds_of_refunded_or_cancelled_orders_of_zero_or_of_more_than_was_paid_change_nothing() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 2, db::now_ms()).await;
    let other = place_a(&app, ("Bram", "bram@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let tickets = ticket_ids(&app, order.id).await;
    let other_ticket = ticket_ids(&app, other.id).await[0];
    let token = csrf_token(&app.page(&client, &format!("/orders/{}", order.id)).await).unwrap();
    let refund = |fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf_token", token.clone()), ("reason", "buyer_request".into())];
        form.extend(fields);
        client
            .post(app.url(&format!("/orders/{}/refund", order.id)))
            .form(&form)
            .send()
    };
    let key = |k: &str| ("idempotency_key", k.to_owned());

    let cases = vec![
        (
            vec![key("a"), ("scope", "tickets".into())],
            "Choose at least one ticket",
        ),
        (
            vec![key("b"), ("scope", "all".into()), ("amount", "0".into())],
            "more than zero",
        ),
        (
            vec![key("c"), ("scope", "all".into()), ("amount", "999999".into())],
            "amount to refund changed",
        ),
        (
            vec![
                key("d"),
                ("scope", "tickets".into()),
                ("ticket", other_ticket.to_string()),
            ],
            "not a valid ticket",
        ),
        (
            vec![key("e"), ("scope", "tickets".into()), ("ticket", "abc".into())],
            "ticket id",
        ),
        (vec![key("f"), ("scope", "everything".into())], "scope must be"),
        (vec![("scope", "all".into())], "idempotency key"),
    ];
    for (fields, message) in cases {
        let response = refund(fields).await.unwrap();
        assert_eq!(response.status(), 400, "{message}");
        assert!(response.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(app.count("refunds").await, 0);
    assert_eq!(order_row(&app, order.id).await, ("paid".into(), 9_100, 455, 8_645));

    // Refunded whole, then once more with a new key: nothing left to refund.
    assert_eq!(
        refund(vec![key("g"), ("scope", "all".into())]).await.unwrap().status(),
        303
    );
    let again = refund(vec![
        key("h"),
        ("scope", "tickets".into()),
        ("ticket", tickets[0].to_string()),
    ])
    .await
    .unwrap();
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("This order is refunded"));
    app.db(move |conn| {
        diesel::update(orders::table.find(other.id))
            .set(orders::status.eq("cancelled"))
            .execute(conn)
            .unwrap()
    })
    .await;
    let cancelled = client
        .get(app.url(&format!("/orders/{}/refund?scope=all", other.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 400);
    assert!(cancelled.text().await.unwrap().contains("This order is cancelled"));
    assert_eq!(app.count("refunds").await, 1);
}

#[tokio::test]
async fn a_refund_on_the_order_page_shows_at_once_on_the_event_dashboard() {
    let app = spawn_app().await;
    let order = app.sell_tickets_a(2).await;
    let client = app.signed_in("owner@a.test").await;
    let dashboard = format!("/events/{}", app.fixture.event_a);
    let before = app.page(&client, &dashboard).await;
    assert_eq!(text_of(&before, r#"[data-metric="sold"]"#).as_deref(), Some("2"));

    let tickets = ticket_ids(&app, order.id).await;
    let response =
        refund_through_confirmation(&app, &client, order.id, &format!("scope=tickets&ticket={}", tickets[0])).await;
    assert_eq!(response.status(), 303);

    // The dashboard caches its metrics; the refund's update on the event's channel
    // invalidates them, so the next load shows the refund.
    let after = app.page(&client, &dashboard).await;
    assert_eq!(text_of(&after, r#"[data-metric="sold"]"#).as_deref(), Some("1"));
    assert_eq!(text_of(&after, r#"[data-metric="refunds"]"#).as_deref(), Some("€45.50"));
}

#[tokio::test]
async fn a_refund_stores_its_reason_and_trimmed_note_and_the_order_page_and_audit_show_them() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let confirmation = app
        .page(&client, &format!("/orders/{}/refund?scope=all", order.id))
        .await;
    assert!(
        confirmation.contains(r#"<label for="reason">"#),
        "the select has a label"
    );
    assert!(confirmation.contains(r#"<select id="reason" name="reason" required>"#));
    let form = with_reason(
        confirmation_form(&confirmation),
        "event_change",
        "  Moved to March \r\n  ",
    );

    let response = client
        .post(app.url(&format!("/orders/{}/refund", order.id)))
        .form(&form)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    let stored: (String, Option<String>) = app
        .db(move |conn| {
            refunds::table
                .filter(refunds::order_id.eq(order.id))
                .select((refunds::reason, refunds::note))
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(stored, ("event_change".to_owned(), Some("Moved to March".to_owned())));
    let page = app.page(&client, &format!("/orders/{}", order.id)).await;
    assert_eq!(text_of(&page, "[data-refund-reason]").as_deref(), Some("Event change"));
    assert_eq!(text_of(&page, "[data-refund-note]").as_deref(), Some("Moved to March"));
    let audit = text_of(&page, "ul.audit").unwrap();
    assert!(
        audit.contains(r#"reason: Event change; note: "Moved to March""#),
        "{audit}"
    );
}

#[tokio::test]
async fn a_refund_without_a_known_reason_or_with_a_huge_note_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let form = reviewed_refund(&app, &client, order.id, "scope=all").await;
    let without_reason: Vec<_> = form.iter().filter(|(k, _)| k != "reason").cloned().collect();
    let cases = [
        (without_reason, "Choose a reason"),
        (with_reason(form.clone(), "whim", ""), "reason must be one of"),
        (with_reason(form.clone(), "", "a note"), "Choose a reason"),
        (
            with_reason(form.clone(), "fraud", &"x".repeat(501)),
            "at most 500 characters",
        ),
        (with_reason(form.clone(), "fraud", "nul\u{0}"), "control characters"),
    ];

    for (fields, message) in cases {
        let response = client
            .post(app.url(&format!("/orders/{}/refund", order.id)))
            .header("HX-Request", "true")
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{message}");
        assert!(response.text().await.unwrap().contains(message), "{message}");
    }

    assert_eq!(app.count("refunds").await, 0);
    assert_eq!(order_row(&app, order.id).await.0, "paid");
    // 500 characters (after trimming) is still a note.
    let longest = format!(" {} ", "é".repeat(500));
    let response = client
        .post(app.url(&format!("/orders/{}/refund", order.id)))
        .form(&with_reason(form, "fraud", &longest))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(order_row(&app, order.id).await.0, "refunded");
}
