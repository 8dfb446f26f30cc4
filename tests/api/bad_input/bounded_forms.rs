//! Forms that repeat a field are bounded by what a person could mean, not only by the
//! body limit (issue 22): the team form's events and the refund form's tickets. Too
//! many is a clear 400 that changes nothing.

use crate::helpers::orders::{place_a, NOV_25_0030_AMSTERDAM};
use crate::helpers::{csrf_token, spawn_app};

#[tokio::test]
async fn a_team_form_naming_thousands_of_events_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let token = csrf_token(&app.page(&owner, "/team").await).unwrap();
    let users_before = app.count("users").await;
    let mut form: Vec<(String, String)> = [
        ("csrf_token", token.as_str()),
        ("name", "Many Events"),
        ("email", "many@a.test"),
        ("role", "steward"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    form.extend((0..5_000).map(|i| ("event".to_owned(), (i + 1).to_string())));

    let response = owner.post(app.url("/team")).form(&form).send().await.unwrap();

    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("At most 200 events"));
    assert_eq!(app.count("users").await, users_before);
}

#[tokio::test]
async fn a_refund_form_naming_thousands_of_tickets_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Rita Refund", "rita@example.test"), 2, NOV_25_0030_AMSTERDAM).await;
    let finance = app.signed_in("finance@a.test").await;
    let path = format!("/orders/{}/refund", order.id);
    let token = csrf_token(&app.page(&finance, &format!("/orders/{}", order.id)).await).unwrap();
    let mut form: Vec<(String, String)> = [
        ("csrf_token", token.as_str()),
        ("scope", "tickets"),
        ("idempotency_key", "bounded-1"),
        ("reason", "other"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    form.extend((0..5_000).map(|i| ("ticket".to_owned(), (i + 1).to_string())));

    let confirm = finance.get(app.url(&path)).query(&form).send().await.unwrap();
    let refund = finance.post(app.url(&path)).form(&form).send().await.unwrap();

    assert_eq!(confirm.status(), 400, "the confirmation step refuses too");
    assert_eq!(refund.status(), 400);
    assert!(refund.text().await.unwrap().contains("at most 500 tickets"));
    assert_eq!(app.count("refunds").await, 0);
}
