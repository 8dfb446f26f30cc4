//! Order management: the filtered list with keyset pages, the order page, refunds, the
//! confirmation e-mail outbox (against a real SMTP conversation) and the CSV export.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db::schema::{audit_log, email_outbox, orders, refunds, tickets};
use voelgoed::db::{self, Tenant};
use voelgoed::live::{Channel, Update, UpdateKind};
use voelgoed::orders::outbox::RetryPolicy;
use voelgoed::orders::{place_order, NewOrder, PlacedOrder};

use crate::helpers::{batch, csrf_token, scan, spawn_app, spawn_app_with, text_of, TestApp};
use crate::mail_server::{Behaviour, SmtpServer};

/// 2026-11-25 00:30 in Amsterdam (23:30 UTC the day before).
const NOV_25_0030_AMSTERDAM: i64 = 1_795_563_000_000;
const HOUR: i64 = 3_600_000;

/// Places an order in org A's event for `buyer` (name, e-mail) at `created_at`.
pub async fn place_a(app: &TestApp, buyer: (&str, &str), quantity: i64, created_at: i64) -> PlacedOrder {
    let (tenant, event, ticket_type) = (app.fixture.org_a, app.fixture.event_a, app.fixture.ticket_type_a);
    place(app, tenant, event, ticket_type, buyer, quantity, created_at).await
}

pub async fn place(
    app: &TestApp,
    tenant: Tenant,
    event_id: i64,
    ticket_type: i64,
    (name, email): (&str, &str),
    quantity: i64,
    created_at: i64,
) -> PlacedOrder {
    let order = NewOrder {
        event_id,
        buyer_name: name.into(),
        buyer_email: email.into(),
        items: vec![(ticket_type, quantity)],
        created_at,
    };
    app.db(move |conn| place_order(conn, &tenant, &order).unwrap().unwrap())
        .await
}

/// The order codes in a list page or fragment, top to bottom.
pub fn codes_in(page: &str) -> Vec<String> {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse("tr[data-order] td:first-child a").unwrap();
    html.select(&selector).map(|a| a.text().collect()).collect()
}

fn href_of(page: &str, css: &str) -> Option<String> {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse(css).unwrap();
    html.select(&selector)
        .next()
        .and_then(|e| e.value().attr("href"))
        .map(str::to_owned)
}

async fn order_row(app: &TestApp, order_id: i64) -> (String, i64, i64, i64) {
    app.db(move |conn| {
        orders::table
            .find(order_id)
            .select((orders::status, orders::gross, orders::fees, orders::net))
            .first(conn)
            .unwrap()
    })
    .await
}

async fn ticket_ids(app: &TestApp, order_id: i64) -> Vec<i64> {
    app.db(move |conn| {
        tickets::table
            .filter(tickets::order_id.eq(order_id))
            .order(tickets::id)
            .select(tickets::id)
            .load(conn)
            .unwrap()
    })
    .await
}

/// Opens the confirmation step with `query`: the form its final button posts.
async fn reviewed_refund(app: &TestApp, client: &reqwest::Client, order_id: i64, query: &str) -> Vec<(String, String)> {
    confirmation_form(&app.page(client, &format!("/orders/{order_id}/refund?{query}")).await)
}

/// Opens the confirmation step with `query` and posts its form: the final response.
async fn refund_through_confirmation(
    app: &TestApp,
    client: &reqwest::Client,
    order_id: i64,
    query: &str,
) -> reqwest::Response {
    let form = reviewed_refund(app, client, order_id, query).await;
    client
        .post(app.url(&format!("/orders/{order_id}/refund")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The hidden fields of the confirmation page's form.
fn confirmation_form(page: &str) -> Vec<(String, String)> {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse(r#"form[action$="/refund"] input[type="hidden"]"#).unwrap();
    html.select(&selector)
        .map(|input| {
            (
                input.value().attr("name").unwrap_or_default().to_owned(),
                input.value().attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_list_shows_code_buyer_event_tickets_total_status_and_time_newest_first() {
    let app = spawn_app().await;
    let older = place_a(&app, ("Anna de Vries", "anna@example.test"), 2, NOV_25_0030_AMSTERDAM).await;
    let newer = place_a(
        &app,
        ("Bram Jansen", "bram@example.test"),
        1,
        NOV_25_0030_AMSTERDAM + HOUR,
    )
    .await;
    let client = app.signed_in("owner@a.test").await;

    let page = app.page(&client, "/orders").await;

    assert_eq!(codes_in(&page), vec![newer.code.clone(), older.code.clone()]);
    let row = text_of(&page, &format!(r#"tr[data-order="{}"]"#, older.id)).unwrap();
    for expected in [
        "Anna de Vries",
        "anna@example.test",
        "Alpha Festival",
        "2",
        "€91.00",
        "paid",
        "25 Nov 2026 00:30",
    ] {
        assert!(row.contains(expected), "{expected} in {row}");
    }
}

#[tokio::test]
async fn free_text_finds_orders_by_code_email_or_name_prefix_in_any_case() {
    let app = spawn_app().await;
    let anna = place_a(
        &app,
        ("Anna de Vries", "anna.devries@example.test"),
        1,
        NOV_25_0030_AMSTERDAM,
    )
    .await;
    let bram = place_a(
        &app,
        ("Bram Jansen", "b.jansen@example.test"),
        1,
        NOV_25_0030_AMSTERDAM + 1,
    )
    .await;
    let client = app.signed_in("owner@a.test").await;
    let search = |q: &str| {
        let path = format!("/orders?q={}", q.replace(' ', "+"));
        let client = client.clone();
        let app = &app;
        async move { codes_in(&app.page(&client, &path).await) }
    };

    assert_eq!(
        search("ANNA.DEV").await,
        vec![anna.code.clone()],
        "e-mail prefix, any case"
    );
    assert_eq!(search("bram j").await, vec![bram.code.clone()], "name prefix");
    assert_eq!(
        search(&anna.code[..6].to_lowercase()).await,
        vec![anna.code.clone()],
        "code prefix"
    );
    assert_eq!(search(&bram.code).await, vec![bram.code.clone()], "whole code");
    assert_eq!(
        search(&anna.code[3..9]).await,
        vec![anna.code.clone()],
        "code without its VG- prefix"
    );
    assert_eq!(
        search("vg-").await.len(),
        0,
        "the prefix every code shares is no search"
    );
    assert!(search("zzz").await.is_empty());
}

#[tokio::test]
async fn status_event_and_dates_in_the_organisations_timezone_combine() {
    let app = spawn_app().await;
    let on_25th = place_a(&app, ("Anna", "anna@example.test"), 1, NOV_25_0030_AMSTERDAM).await;
    // 23:30 on the 24th in Amsterdam.
    let on_24th = place_a(&app, ("Anna", "anna2@example.test"), 1, NOV_25_0030_AMSTERDAM - HOUR).await;
    let refunded = place_a(&app, ("Anna", "anna3@example.test"), 1, NOV_25_0030_AMSTERDAM + HOUR).await;
    app.db(move |conn| {
        diesel::update(orders::table.find(refunded.id))
            .set(orders::status.eq("refunded"))
            .execute(conn)
            .unwrap()
    })
    .await;
    let client = app.signed_in("owner@a.test").await;
    let event = app.fixture.event_a;

    let day = codes_in(&app.page(&client, "/orders?from=2026-11-25&to=2026-11-25").await);
    assert_eq!(day, vec![refunded.code.clone(), on_25th.code.clone()]);
    let paid_that_day = app
        .page(
            &client,
            &format!("/orders?status=paid&event={event}&from=2026-11-25&to=2026-11-25&q=anna"),
        )
        .await;
    assert_eq!(codes_in(&paid_that_day), vec![on_25th.code.clone()]);
    let before = codes_in(&app.page(&client, "/orders?to=2026-11-24").await);
    assert_eq!(before, vec![on_24th.code.clone()]);
    let other_event = codes_in(
        &app.page(&client, &format!("/orders?event={}", app.fixture.event_b))
            .await,
    );
    assert!(other_event.is_empty(), "another organisation's event id shows nothing");
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats_while_orders_arrive() {
    let app = spawn_app().await;
    let mut expected = Vec::new();
    for n in 0..120 {
        // Pairs share a timestamp: the id breaks the tie.
        let order = place_a(
            &app,
            ("Paging Buyer", "paging@example.test"),
            1,
            NOV_25_0030_AMSTERDAM + n / 2,
        )
        .await;
        expected.push(order.code);
    }
    expected.reverse();
    let client = app.signed_in("owner@a.test").await;

    let mut seen = Vec::new();
    let mut page = app.page(&client, "/orders").await;
    loop {
        seen.extend(codes_in(&page));
        // New orders keep arriving while the reader pages.
        place_a(&app, ("Late Buyer", "late@example.test"), 1, db::now_ms()).await;
        let Some(next) = href_of(&page, "#load-more a") else {
            break;
        };
        page = app.page(&client, &next).await;
    }

    let late_seen = seen.iter().filter(|c| !expected.contains(c)).count();
    assert_eq!(
        late_seen, 0,
        "orders placed after the first page do not enter later pages"
    );
    assert_eq!(seen, expected, "every order once, newest first");
}

#[tokio::test]
async fn htmx_gets_the_results_for_a_filter_and_only_the_next_rows_for_load_more() {
    let app = spawn_app().await;
    for n in 0..60 {
        place_a(&app, ("Row Buyer", "rows@example.test"), 1, NOV_25_0030_AMSTERDAM + n).await;
    }
    let client = app.signed_in("owner@a.test").await;

    let results = client
        .get(app.url("/orders?q=row"))
        .header("HX-Request", "true")
        .header("HX-Target", "order-results")
        .send()
        .await
        .unwrap();
    assert_eq!(results.headers()["vary"], "HX-Request");
    let results = results.text().await.unwrap();
    assert!(
        results.trim_start().starts_with(r#"<div id="order-results""#),
        "{results:.200}"
    );
    assert!(!results.contains("<html"), "a fragment, not a page");
    assert_eq!(codes_in(&results).len(), 50);
    let next = href_of(&results, "#load-more a").unwrap();
    assert!(next.contains("q=row") && next.contains("after="), "{next}");

    let more = client
        .get(app.url(&next))
        .header("HX-Request", "true")
        .header("HX-Target", "load-more")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(more.trim_start().starts_with("<tr"), "rows only: {more:.200}");
    assert_eq!(codes_in(&format!("<table>{more}</table>")).len(), 10);
    assert!(href_of(&format!("<table>{more}</table>"), "#load-more a").is_none());

    let restore = client
        .get(app.url("/orders?q=row"))
        .header("HX-Request", "true")
        .header("HX-History-Restore-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(restore.contains("<html"), "a history restore gets the whole page");
}

#[tokio::test]
async fn a_new_order_that_matches_the_filter_is_pushed_to_an_open_list() {
    let app = spawn_app().await;
    place_a(&app, ("Early Bird", "early@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, "/orders?q=match").await;
    let html = scraper::Html::parse_document(&page);
    let selector = scraper::Selector::parse("[sse-connect]").unwrap();
    let stream_url = html
        .select(&selector)
        .next()
        .unwrap()
        .value()
        .attr("sse-connect")
        .unwrap()
        .to_owned();
    let mut stream = client.get(app.url(&stream_url)).send().await.unwrap();
    assert_eq!(stream.status(), 200);

    let other = place_a(&app, ("Someone Else", "else@example.test"), 1, db::now_ms()).await;
    let matching = place_a(&app, ("Matching Buyer", "match@example.test"), 2, db::now_ms()).await;
    app.state.bus.publish(Update {
        channel: Channel::orders(&app.fixture.org_a),
        kind: UpdateKind::OrderChanged,
    });

    let mut received = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !received.contains(&matching.code) {
        let chunk = tokio::time::timeout_at(deadline.into(), stream.chunk())
            .await
            .expect("the new order arrives in time")
            .unwrap()
            .unwrap();
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(received.contains("event: order-rows"));
    assert!(
        received.contains(&format!("id: {}", matching.id)),
        "the SSE id is the newest order looked at"
    );
    assert!(
        !received.contains(&other.code),
        "orders outside the filter are not pushed"
    );
}

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
        let mut form = vec![("csrf_token", token.clone())];
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

async fn resend(app: &TestApp, client: &reqwest::Client, order_id: i64) -> reqwest::Response {
    let token = csrf_token(&app.page(client, &format!("/orders/{order_id}")).await).unwrap();
    client
        .post(app.url(&format!("/orders/{order_id}/resend-confirmation")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap()
}

async fn email_state(app: &TestApp, order_id: i64) -> (String, i32, Option<String>) {
    app.db(move |conn| {
        email_outbox::table
            .filter(email_outbox::order_id.eq(order_id))
            .order(email_outbox::id.desc())
            .select((email_outbox::status, email_outbox::attempts, email_outbox::last_error))
            .first(conn)
            .unwrap()
    })
    .await
}

async fn wait_for_email_status(app: &TestApp, order_id: i64, status: &str) -> (String, i32, Option<String>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let state = email_state(app, order_id).await;
        if state.0 == status {
            return state;
        }
        assert!(std::time::Instant::now() < deadline, "e-mail still {state:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn app_with_smtp(server: &SmtpServer) -> TestApp {
    let url = server.url.clone();
    spawn_app_with(move |settings| {
        settings.smtp = Some(url);
        settings.email_retry = RetryPolicy {
            first_delay: Duration::from_millis(200),
            max_attempts: 3,
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
async fn the_csv_export_has_a_row_per_ticket_with_codes_under_the_same_filter() {
    let app = spawn_app().await;
    let anna = place_a(&app, ("=Anna", "anna@example.test"), 2, NOV_25_0030_AMSTERDAM).await;
    let bram = place_a(&app, ("Bram", "bram@example.test"), 1, NOV_25_0030_AMSTERDAM + 1).await;
    let client = app.signed_in("owner@a.test").await;

    let response = client.get(app.url("/orders.csv?q=anna")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "order_code");
    assert_eq!(&headers[6], "ticket_code");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();

    assert_eq!(rows.len(), 2, "one row per ticket of the matching order");
    let mut codes: Vec<&str> = rows.iter().map(|r| &r[6]).collect();
    codes.sort();
    let mut expected: Vec<&str> = anna.ticket_codes.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(codes, expected);
    assert_eq!(&rows[0][0], anna.code);
    assert_eq!(&rows[0][1], "2026-11-25T00:30:00+01:00");
    assert_eq!(&rows[0][3], "'=Anna", "a formula is defused");
    assert_eq!(&rows[0][9], "45.50");
    assert!(!body.contains(&bram.code));

    let all = client
        .get(app.url("/orders.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(all.lines().count(), 1 + 3);
}

#[tokio::test]
async fn a_large_export_streams_every_ticket_across_pages() {
    let app = spawn_app().await;
    let (tenant, event, ticket_type) = (app.fixture.org_a, app.fixture.event_a, app.fixture.ticket_type_a);
    app.db(move |conn| {
        use voelgoed::demo::bulk::{EventToFill, OrderWriter, TypeToFill};
        let mut writer = OrderWriter::new(conn).unwrap();
        let mut fill = EventToFill {
            event_id: event,
            ticket_types: vec![TypeToFill {
                id: ticket_type,
                price: 4_550,
                left: 100_000,
            }],
            sold_from: 1,
            sold_until: 1_000_000,
            max_tickets: 3,
        };
        for _ in 0..2_500 {
            writer.add_order(&tenant, &mut fill, 1);
        }
        writer.flush(conn).unwrap();
    })
    .await;
    let tickets_of_a: i64 = app
        .db(move |conn| {
            tickets::table
                .filter(tickets::organization_id.eq(tenant.organization_id()))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    let client = app.signed_in("owner@a.test").await;

    let body = client
        .get(app.url("/orders.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert_eq!(body.lines().count() as i64, 1 + tickets_of_a);
}

/// The same order management on PostgreSQL (`VOELGOED_TEST_POSTGRES`): search, dates,
/// pages, a double-submitted refund, the SMTP outbox and the export.
#[tokio::test]
async fn postgres_serves_search_pages_refunds_outbox_and_export() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let url =
        crate::migrations::fresh_postgres_database(&admin_url, &format!("voelgoed_orders_{}", std::process::id()));
    let server = SmtpServer::start(Behaviour::Accept).await;
    let smtp = server.url.clone();
    let app = crate::helpers::spawn_on(
        voelgoed::db::DatabaseUrl::parse(&url).unwrap(),
        move |settings| {
            settings.smtp = Some(smtp);
            settings.email_retry = RetryPolicy {
                first_delay: Duration::from_millis(200),
                max_attempts: 3,
            };
        },
        tempfile::tempdir().unwrap(),
    )
    .await;
    let anna = place_a(&app, ("Anna de Vries", "anna@example.test"), 2, NOV_25_0030_AMSTERDAM).await;
    for n in 0..55 {
        place_a(
            &app,
            ("Bulk Buyer", "bulk@example.test"),
            1,
            NOV_25_0030_AMSTERDAM + HOUR + n,
        )
        .await;
    }
    let client = app.signed_in("owner@a.test").await;

    assert_eq!(
        codes_in(&app.page(&client, "/orders?q=ANNA@EX").await),
        vec![anna.code.clone()]
    );
    assert_eq!(
        codes_in(&app.page(&client, "/orders?q=anna+de").await),
        vec![anna.code.clone()]
    );
    assert_eq!(
        codes_in(&app.page(&client, &format!("/orders?q={}", &anna.code[..7])).await),
        vec![anna.code.clone()]
    );
    let first = app.page(&client, "/orders?from=2026-11-25&to=2026-11-25").await;
    assert_eq!(codes_in(&first).len(), 50);
    let second = app.page(&client, &href_of(&first, "#load-more a").unwrap()).await;
    assert_eq!(codes_in(&second).len(), 6);
    assert_eq!(codes_in(&second).last(), Some(&anna.code));

    let every_filter = format!(
        "/orders?q=anna&status=paid&event={}&from=2026-11-25&to=2026-11-25",
        app.fixture.event_a
    );
    assert_eq!(
        codes_in(&app.page(&client, &every_filter).await),
        vec![anna.code.clone()]
    );
    let tickets = ticket_ids(&app, anna.id).await;
    let form = reviewed_refund(&app, &client, anna.id, &format!("scope=tickets&ticket={}", tickets[0])).await;
    let post = || {
        client
            .post(app.url(&format!("/orders/{}/refund", anna.id)))
            .form(&form)
            .send()
    };
    let (a, b, c) = tokio::join!(post(), post(), post());
    let statuses = [a, b, c].map(|r| r.unwrap().status().as_u16());
    assert_eq!(
        statuses,
        [303, 303, 303],
        "a form submitted three times at once refunds once"
    );
    assert_eq!(app.count("refunds").await, 1);
    assert_eq!(
        order_row(&app, anna.id).await,
        ("partially_refunded".into(), 9_100, 455, 9_100 - 455 - 4_550)
    );

    assert_eq!(resend(&app, &client, anna.id).await.status(), 303);
    wait_for_email_status(&app, anna.id, "sent").await;
    assert_eq!(server.messages().len(), 1);

    let csv = app.page(&client, "/orders.csv?q=anna").await;
    assert_eq!(csv.lines().count(), 3);
    assert!(
        csv.contains(",refunded,45.50,EUR") && csv.contains(",valid,45.50,EUR"),
        "{csv}"
    );
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
