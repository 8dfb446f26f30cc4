//! Orders for the tests: placing them straight through the library, reading their rows,
//! refunding and resending through the pages, and reading what the pages show of them.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db::schema::{email_outbox, orders, tickets};
use voelgoed::db::Tenant;
use voelgoed::orders::{place_order, NewOrder, PlacedOrder};

use super::{csrf_token, TestApp};

/// 2026-11-25 00:30 in Amsterdam (23:30 UTC the day before).
pub const NOV_25_0030_AMSTERDAM: i64 = 1_795_563_000_000;
pub const HOUR: i64 = 3_600_000;

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
        items: vec![voelgoed::orders::OrderItem::new(ticket_type, quantity)],
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

pub fn href_of(page: &str, css: &str) -> Option<String> {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse(css).unwrap();
    html.select(&selector)
        .next()
        .and_then(|e| e.value().attr("href"))
        .map(str::to_owned)
}

pub async fn order_row(app: &TestApp, order_id: i64) -> (String, i64, i64, i64) {
    app.db(move |conn| {
        orders::table
            .find(order_id)
            .select((orders::status, orders::gross, orders::fees, orders::net))
            .first(conn)
            .unwrap()
    })
    .await
}

pub async fn ticket_ids(app: &TestApp, order_id: i64) -> Vec<i64> {
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
pub async fn reviewed_refund(
    app: &TestApp,
    client: &reqwest::Client,
    order_id: i64,
    query: &str,
) -> Vec<(String, String)> {
    confirmation_form(&app.page(client, &format!("/orders/{order_id}/refund?{query}")).await)
}

/// Opens the confirmation step with `query` and posts its form: the final response.
pub async fn refund_through_confirmation(
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

/// The confirmation page's form as an owner sends it: its hidden fields, and the first
/// reason its select offers (see `with_reason` for another).
pub fn confirmation_form(page: &str) -> Vec<(String, String)> {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse(
        r#"form[action$="/refund"] input[type="hidden"], form[action$="/void"] input[type="hidden"]"#,
    )
    .unwrap();
    let mut form: Vec<(String, String)> = html
        .select(&selector)
        .map(|input| {
            (
                input.value().attr("name").unwrap_or_default().to_owned(),
                input.value().attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let option = scraper::Selector::parse(r#"select[name="reason"] option"#).unwrap();
    let first_reason = html
        .select(&option)
        .filter_map(|o| o.value().attr("value"))
        .find(|v| !v.is_empty());
    if let Some(reason) = first_reason {
        form.push(("reason".into(), reason.into()));
    }
    form
}

/// `form` with `reason` and `note` in place of what it had.
pub fn with_reason(mut form: Vec<(String, String)>, reason: &str, note: &str) -> Vec<(String, String)> {
    form.retain(|(k, _)| k != "reason" && k != "note");
    form.push(("reason".into(), reason.into()));
    form.push(("note".into(), note.into()));
    form
}

pub async fn resend(app: &TestApp, client: &reqwest::Client, order_id: i64) -> reqwest::Response {
    let token = csrf_token(&app.page(client, &format!("/orders/{order_id}")).await).unwrap();
    client
        .post(app.url(&format!("/orders/{order_id}/resend-confirmation")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap()
}

pub async fn email_state(app: &TestApp, order_id: i64) -> (String, i32, Option<String>) {
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

pub async fn wait_for_email_status(app: &TestApp, order_id: i64, status: &str) -> (String, i32, Option<String>) {
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

/// A job of `maker`'s over `order_ids` that no runner may take for `held_ms` (as if
/// one held it).
pub async fn held_job(
    app: &TestApp,
    maker: &'static str,
    action: voelgoed::orders::bulk::BulkAction,
    order_ids: Vec<i64>,
    held_ms: i64,
) -> i64 {
    use diesel::prelude::*;
    use voelgoed::db::schema::bulk_jobs;
    use voelgoed::orders::bulk::{create_job, BulkAction, NewJob, RefundNote};
    let tenant = app.fixture.org_a;
    let user_id = app.user_id(maker).await;
    app.db(move |conn| {
        let job = NewJob {
            user_id,
            // Made when every event was theirs: the runner reads their events again.
            events: voelgoed::auth::EventScope::Every,
            job_key: format!("held-{maker}-{}", action.as_str()),
            action,
            refund: (action == BulkAction::Refund).then_some(RefundNote {
                reason: voelgoed::orders::RefundReason::Other,
                note: None,
            }),
            order_ids,
        };
        let id = create_job(conn, &tenant, &job).unwrap();
        diesel::update(bulk_jobs::table.find(id))
            .set(bulk_jobs::lease_until.eq(voelgoed::db::now_ms() + held_ms))
            .execute(conn)
            .unwrap();
        id
    })
    .await
}
