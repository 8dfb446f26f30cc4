//! Live rows: an open order list redraws the rows it shows when their orders are
//! refunded or voided (in place, by `#order-<id>`), on every instance.

use std::time::Duration;

use voelgoed::db;

use crate::helpers::orders::{place_a, refund_through_confirmation};
use crate::helpers::sse::{Message, SseReader};
use crate::helpers::{csrf_token, scaled_out, spawn_app, TestApp};

/// The `sse-connect` URL of a list page.
fn stream_url(page: &str) -> String {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse("[sse-connect]").unwrap();
    html.select(&selector)
        .next()
        .and_then(|e| e.value().attr("sse-connect"))
        .unwrap()
        .to_owned()
}

/// The next `order-rows` message that redraws `order_id`'s row.
async fn redraw_of(stream: &mut SseReader, order_id: i64) -> Message {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let message = stream.next(left).await.expect("the redrawn row arrives in time");
        if message.event == "order-rows" && message.data.contains(&format!(r#"id="order-{order_id}""#)) {
            return message;
        }
    }
}

async fn void(app: &TestApp, client: &reqwest::Client, order_id: i64) -> u16 {
    let token = csrf_token(&app.page(client, &format!("/orders/{order_id}")).await).unwrap();
    client
        .post(app.url(&format!("/orders/{order_id}/void")))
        .form(&[("csrf_token", token.as_str()), ("reason", "other")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_refund_and_a_void_redraw_the_rows_already_shown_in_an_open_list() {
    let app = spawn_app().await;
    let anna = place_a(&app, ("Anna", "anna@example.test"), 2, db::now_ms()).await;
    let bram = place_a(&app, ("Bram", "bram@example.test"), 1, db::now_ms()).await;
    let cees = place_a(&app, ("Cees", "cees@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, "/orders").await;
    assert!(
        page.contains(&format!(r#"id="order-{}""#, anna.id)),
        "rows carry their ids"
    );
    let mut stream = SseReader::open(&app, &client, &stream_url(&page)).await;

    assert_eq!(
        refund_through_confirmation(&app, &client, anna.id, "scope=all")
            .await
            .status(),
        303
    );
    let refunded = redraw_of(&mut stream, anna.id).await;
    assert_eq!(void(&app, &client, bram.id).await, 303);
    let voided = redraw_of(&mut stream, bram.id).await;

    for (message, status) in [(&refunded, "refunded"), (&voided, "cancelled")] {
        assert!(message.data.contains(r#"hx-swap-oob="true""#), "{}", message.data);
        assert!(
            message.data.contains(&format!(r#"data-status="{status}""#)),
            "{}",
            message.data
        );
        assert!(!message.data.contains(&cees.code), "only the changed order is pushed");
        assert!(message.data.len() < 1_500, "a small push: {} bytes", message.data.len());
    }
    assert!(!voided.data.contains(&anna.code), "a change is pushed once");
    assert_eq!(
        refunded.id.as_deref(),
        Some(cees.id.to_string().as_str()),
        "the SSE id stays the newest order"
    );
}

#[tokio::test]
async fn a_row_that_leaves_the_lists_filter_stays_in_place_marked() {
    let app = spawn_app().await;
    let anna = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, "/orders?status=paid").await;
    let mut stream = SseReader::open(&app, &client, &stream_url(&page)).await;

    assert_eq!(
        refund_through_confirmation(&app, &client, anna.id, "scope=all")
            .await
            .status(),
        303
    );
    let message = redraw_of(&mut stream, anna.id).await;

    assert!(message.data.contains("data-left-filter"), "{}", message.data);
    assert!(message.data.contains("no longer matches this filter"));
    assert!(message.data.contains(r#"data-status="refunded""#));
}

#[tokio::test]
async fn a_bad_changes_mark_is_refused() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let response = client.get(app.url("/sse/orders?changes=abc")).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("changes must be"));
}

/// PostgreSQL and Redis: the list is open on B, the refund happens on A.
#[tokio::test]
async fn a_refund_on_one_instance_redraws_the_row_in_a_list_open_on_another() {
    let redis = std::env::var("VOELGOED_TEST_REDIS")
        .expect("VOELGOED_TEST_REDIS must name a Redis server: run the tests with scripts/test.sh");
    let (a, b) = scaled_out("live_rows", &redis).await;
    let anna = place_a(&a, ("Anna", "anna@example.test"), 2, db::now_ms()).await;
    let owner_a = a.signed_in("owner@a.test").await;
    let owner_b = b.signed_in("owner@a.test").await;
    let page = b.page(&owner_b, "/orders").await;
    let mut stream = SseReader::open(&b, &owner_b, &stream_url(&page)).await;

    assert_eq!(
        refund_through_confirmation(&a, &owner_a, anna.id, "scope=all")
            .await
            .status(),
        303
    );
    let message = redraw_of(&mut stream, anna.id).await;

    assert!(message.data.contains(r#"data-status="refunded""#), "{}", message.data);
    assert_eq!(void(&a, &owner_a, anna.id).await, 409, "nothing left to void");
}
