//! Refunds that say why and voids ("cancel tickets without refunding"): what is stored,
//! shown and exported, what the gate and the dashboard make of a void, what is refused,
//! on SQLite and on PostgreSQL.

use diesel::prelude::*;
use voelgoed::db;
use voelgoed::db::schema::{audit_log, refunds, tickets};

use crate::helpers::orders::{
    confirmation_form, order_row, place_a, refund_through_confirmation, reviewed_refund, ticket_ids, with_reason,
};
use crate::helpers::{batch, csrf_token, scan, spawn_app, text_of, TestApp};

/// Opens the void's confirmation step and posts its form with `reason` and `note` (with
/// the order page's CSRF token when the step refused to show a form).
async fn void_through_confirmation(
    app: &TestApp,
    client: &reqwest::Client,
    order_id: i64,
    reason: &str,
    note: &str,
) -> reqwest::Response {
    let page = app.page(client, &format!("/orders/{order_id}/void")).await;
    let mut form = confirmation_form(&page);
    if form.is_empty() {
        let order_page = app.page(client, &format!("/orders/{order_id}")).await;
        form.push(("csrf_token".into(), csrf_token(&order_page).unwrap()));
    }
    let form = with_reason(form, reason, note);
    client
        .post(app.url(&format!("/orders/{order_id}/void")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn ticket_statuses(app: &TestApp, order_id: i64) -> Vec<String> {
    app.db(move |conn| {
        tickets::table
            .filter(tickets::order_id.eq(order_id))
            .order(tickets::id)
            .select(tickets::status)
            .load(conn)
            .unwrap()
    })
    .await
}

fn metric(page: &str, name: &str) -> String {
    text_of(page, &format!(r#"[data-metric="{name}"]"#)).unwrap_or_else(|| panic!("no {name}"))
}

#[tokio::test]
async fn a_void_cancels_the_valid_tickets_refuses_them_at_the_gate_and_moves_no_money() {
    let app = spawn_app().await;
    let order = app.sell_tickets_a(3).await;
    let (north, _) = app.device_a("North").await;
    let client = app.signed_in("owner@a.test").await;
    let tickets = ticket_ids(&app, order.id).await;
    let refunded = format!("scope=tickets&ticket={}", tickets[0]);
    assert_eq!(
        refund_through_confirmation(&app, &client, order.id, &refunded)
            .await
            .status(),
        303
    );
    let dashboard = format!("/events/{}", app.fixture.event_a);
    let before = app.page(&client, &dashboard).await;
    assert_eq!(metric(&before, "sold"), "2");
    let net_before = order_row(&app, order.id).await.3;

    let review = app.page(&client, &format!("/orders/{}/void", order.id)).await;
    assert_eq!(
        app.count("audit_log").await,
        2,
        "the review changes nothing (sign-in, refund)"
    );
    assert!(review.contains(r#"<label for="reason">"#));
    assert_eq!(
        scraper::Html::parse_document(&review)
            .select(&scraper::Selector::parse("ul.void-tickets li").unwrap())
            .count(),
        2,
        "it lists the two valid tickets"
    );
    let response = void_through_confirmation(&app, &client, order.id, "duplicate_order", " bought twice ").await;

    assert_eq!(response.status(), 303);
    let (status, _, _, net) = order_row(&app, order.id).await;
    assert_eq!((status.as_str(), net), ("cancelled", net_before), "no money moves");
    assert_eq!(
        ticket_statuses(&app, order.id).await,
        ["refunded", "cancelled", "cancelled"]
    );
    assert_eq!(app.count("refunds").await, 1, "no refund row");
    let (_, answer) = app
        .post_scans(&north, &batch(vec![scan("after-void", &order.ticket_codes[1], "in")]))
        .await;
    assert_eq!(answer["results"][0]["result"], "invalid");
    assert_eq!(answer["results"][0]["reason"], "ticket was cancelled");
    let after = app.page(&client, &dashboard).await;
    assert_eq!(metric(&after, "sold"), "0", "voided tickets are no longer sold");
    for money in ["gross", "fees", "refunds", "net"] {
        assert_eq!(metric(&after, money), metric(&before, money), "{money} unchanged");
    }
    let audit: Vec<(String, String)> = app
        .db(move |conn| {
            audit_log::table
                .filter(audit_log::subject_type.eq("order"))
                .filter(audit_log::subject_id.eq(order.id))
                .order(audit_log::id)
                .select((audit_log::action, audit_log::details))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(audit[1].0, "void");
    assert!(
        audit[1].1.contains(r#"cancelled 2 ticket(s) without refunding"#)
            && audit[1].1.contains(r#"reason: Duplicate order; note: "bought twice""#),
        "{}",
        audit[1].1
    );
    let page = app.page(&client, &format!("/orders/{}", order.id)).await;
    assert_eq!(text_of(&page, "h1 [data-status]").unwrap().trim(), "cancelled");
    assert!(text_of(&page, "ul.audit").unwrap().contains("Duplicate order"));
}

#[tokio::test]
async fn a_voided_order_frees_its_tickets_for_sale_again() {
    let app = spawn_app().await;
    let all = app.sell_tickets_a(500).await;
    let (tenant, event, ticket_type) = (app.fixture.org_a, app.fixture.event_a, app.fixture.ticket_type_a);
    let one_more = move |conn: &mut db::DbConnection| {
        let order = voelgoed::orders::NewOrder {
            event_id: event,
            buyer_name: "Late".into(),
            buyer_email: "late@example.test".into(),
            items: vec![voelgoed::orders::OrderItem::new(ticket_type, 1)],
            created_at: db::now_ms(),
        };
        voelgoed::orders::place_order(conn, &tenant, &order).unwrap().is_some()
    };
    assert!(!app.db(one_more).await, "sold out");
    let client = app.signed_in("owner@a.test").await;

    assert_eq!(
        void_through_confirmation(&app, &client, all.id, "fraud", "")
            .await
            .status(),
        303
    );

    assert!(app.db(one_more).await, "the voided tickets can be sold again");
}

#[tokio::test]
async fn voiding_a_cancelled_or_wholly_refunded_order_is_refused_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 2, db::now_ms()).await;
    let refunded = place_a(&app, ("Bram", "bram@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let form = confirmation_form(&app.page(&client, &format!("/orders/{}/void", order.id)).await);
    assert!(form.iter().any(|(k, _)| k == "csrf_token"));
    let post = |fields: Vec<(String, String)>| {
        client
            .post(app.url(&format!("/orders/{}/void", order.id)))
            .header("HX-Request", "true")
            .form(&fields)
            .send()
    };
    let without_reason: Vec<_> = form.iter().filter(|(k, _)| k != "reason").cloned().collect();
    for (fields, message) in [
        (without_reason, "Choose a reason"),
        (with_reason(form.clone(), "bored", ""), "reason must be one of"),
        (
            with_reason(form.clone(), "other", &"n".repeat(501)),
            "at most 500 characters",
        ),
    ] {
        let response = post(fields).await.unwrap();
        assert_eq!(response.status(), 400, "{message}");
        assert!(response.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(order_row(&app, order.id).await.0, "paid");
    assert_eq!(ticket_statuses(&app, order.id).await, ["valid", "valid"]);

    assert_eq!(
        post(with_reason(form.clone(), "other", "")).await.unwrap().status(),
        303
    );
    let again = post(with_reason(form, "other", "")).await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("This order is cancelled"));
    let review = client
        .get(app.url(&format!("/orders/{}/void", order.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(review.status(), 409);
    assert_eq!(
        refund_through_confirmation(&app, &client, refunded.id, "scope=all")
            .await
            .status(),
        303
    );
    let of_refunded = void_through_confirmation(&app, &client, refunded.id, "other", "").await;
    assert_eq!(of_refunded.status(), 409);
    assert_eq!(ticket_statuses(&app, refunded.id).await, ["refunded"]);
    let voids = app
        .db(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("void"))
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
        .await;
    assert_eq!(voids, 1);
}

#[tokio::test]
async fn a_supervisor_cannot_void() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let supervisor = app.signed_in("super@a.test").await;
    let page = app.page(&supervisor, &format!("/orders/{}", order.id)).await;
    let token = csrf_token(&page).unwrap();

    let review = supervisor
        .get(app.url(&format!("/orders/{}/void", order.id)))
        .send()
        .await
        .unwrap();
    let post = supervisor
        .post(app.url(&format!("/orders/{}/void", order.id)))
        .form(&[("csrf_token", token.as_str()), ("reason", "other")])
        .send()
        .await
        .unwrap();

    assert_eq!((review.status().as_u16(), post.status().as_u16()), (403, 403));
    assert!(!page.contains("without refunding"), "no void link for supervisors");
    assert_eq!(order_row(&app, order.id).await.0, "paid");
}

crate::helpers::on_both_backends!(
    reasons_are_stored_exported_and_a_void_is_refused_twice:
    spawn_app(),
    crate::helpers::postgres::spawn_postgres_app("voelgoed_voids"),
);

/// What a test of reasons checks on either backend: stored, exported, voided.
async fn reasons_are_stored_exported_and_a_void_is_refused_twice(app: TestApp) {
    let app = &app;
    let refunded = place_a(app, ("Anna", "anna@example.test"), 2, db::now_ms()).await;
    let voided = place_a(app, ("Bram", "bram@example.test"), 1, db::now_ms()).await;
    let paid = place_a(app, ("Cees", "cees@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let tickets = ticket_ids(app, refunded.id).await;
    for (ticket, reason, note) in [
        (tickets[0], "event_change", "=moved"),
        (tickets[1], "buyer_request", ""),
    ] {
        let form = reviewed_refund(app, &client, refunded.id, &format!("scope=tickets&ticket={ticket}")).await;
        let response = client
            .post(app.url(&format!("/orders/{}/refund", refunded.id)))
            .form(&with_reason(form, reason, note))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
    }
    assert_eq!(
        void_through_confirmation(app, &client, voided.id, "fraud", "card")
            .await
            .status(),
        303
    );
    assert_eq!(
        void_through_confirmation(app, &client, voided.id, "fraud", "")
            .await
            .status(),
        409
    );

    let stored: Vec<(String, Option<String>)> = app
        .db(move |conn| {
            refunds::table
                .order(refunds::id)
                .select((refunds::reason, refunds::note))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        stored,
        [
            ("event_change".into(), Some("=moved".into())),
            ("buyer_request".into(), None)
        ]
    );
    let body = app.page(&client, "/orders.csv").await;
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!((&headers[11], &headers[12]), ("refund_reason", "refund_note"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let of = |code: &str| rows.iter().find(|r| &r[0] == code).unwrap().clone();
    let row = of(&refunded.code);
    assert_eq!((&row[11], &row[12]), ("event_change; buyer_request", "'=moved"));
    let row = of(&paid.code);
    assert_eq!((&row[11], &row[12]), ("", ""));
    assert_eq!(&of(&voided.code)[2], "cancelled");
    assert_eq!(ticket_statuses(app, voided.id).await, ["cancelled"]);
    let voids = app
        .db(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("void"))
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
        .await;
    assert_eq!(voids, 1, "audited once");
}
