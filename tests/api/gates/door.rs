//! The door lookup: one ticket by its code (any case, spaces and dashes allowed) with its
//! type, status, holder and scan history, for stewards, supervisors and owners of the
//! event; no e-mail or money; bad codes 400, unknown ones 404, and a limit per user.
//! On SQLite and PostgreSQL.

use crate::helpers::postgres::fresh_postgres_database;
use crate::helpers::{batch, spawn_app, spawn_on, TestApp};
use voelgoed::db::DatabaseUrl;

/// A code as a person might type it: lower case, in groups of five with dashes.
fn typed(code: &str) -> String {
    code.to_lowercase()
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

async fn a_ticket_is_found_by_its_code_with_its_scans(app: TestApp) {
    let order =
        crate::helpers::orders::place_a(&app, ("Dora Door", "dora@example.com"), 1, voelgoed::db::now_ms()).await;
    let code = order.ticket_codes[0].clone();
    let (token, _) = app.device_a("North").await;
    let now = chrono::Utc::now().to_rfc3339();
    let scans = batch(vec![
        serde_json::json!({"id": "door-1", "ticket_code": code, "direction": "in", "scanned_at": now}),
        serde_json::json!({"id": "door-2", "ticket_code": code, "direction": "in", "scanned_at": now}),
    ]);
    assert_eq!(app.post_scans(&token, &scans).await.0, 200);
    let door = format!("/events/{}/door", app.fixture.event_a);

    for email in ["steward@a.test", "super@a.test", "owner@a.test"] {
        let client = app.signed_in(email).await;
        let response = client
            .get(app.url(&door))
            .query(&[("code", typed(&code))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{email}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Dora Door") && page.contains("Regular"),
            "{email}: {page}"
        );
        assert!(page.contains(&code), "{email}");
        assert!(page.contains("North") && page.contains("entry"), "{email}");
        assert!(
            page.contains("duplicate"),
            "the second entry is in the history: {email}"
        );
        assert!(!page.contains("dora@example.com"), "no e-mail: {email}");
        assert!(!page.contains("45.50") && !page.contains("4550"), "no money: {email}");
    }
}

#[tokio::test]
async fn a_ticket_is_found_by_its_code_with_its_scans_on_sqlite() {
    a_ticket_is_found_by_its_code_with_its_scans(spawn_app().await).await;
}

#[tokio::test]
async fn a_ticket_is_found_by_its_code_with_its_scans_on_postgres() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES").expect("VOELGOED_TEST_POSTGRES");
    let url = fresh_postgres_database(&admin_url, &format!("voelgoed_door_{}", std::process::id()));
    let app = spawn_on(DatabaseUrl::parse(&url).unwrap(), |_| {}, tempfile::tempdir().unwrap()).await;
    a_ticket_is_found_by_its_code_with_its_scans(app).await;
}

#[tokio::test]
async fn bad_and_unknown_codes_are_clear_4xx_fragments_and_finance_has_no_door() {
    let app = spawn_app().await;
    let order = app.sell_tickets_a(1).await;
    let steward = app.signed_in("steward@a.test").await;
    let door = format!("/events/{}/door", app.fixture.event_a);
    let ask = |client: &reqwest::Client, code: &str| {
        client
            .get(app.url(&door))
            .query(&[("code", code)])
            .header("HX-Request", "true")
            .send()
    };

    let found = ask(&steward, &order.ticket_codes[0]).await.unwrap();
    assert_eq!(found.status(), 200);
    assert!(
        !found.text().await.unwrap().contains("<html"),
        "htmx gets the fragment only"
    );
    let unknown = ask(&steward, "ZZZZZZZZZZZZZZZZZZZZ").await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("No ticket of this event"));
    for bad in ["", "a'b; --", &"A".repeat(80)] {
        let refused = ask(&steward, bad).await.unwrap();
        assert_eq!(refused.status(), 400, "{bad:?}");
    }
    let page = steward.get(app.url(&door)).send().await.unwrap();
    assert_eq!(page.status(), 200, "the page without a code is the form");
    let finance = app.signed_in("finance@a.test").await;
    assert_eq!(ask(&finance, &order.ticket_codes[0]).await.unwrap().status(), 403);
    let other = app.signed_in("owner@b.test").await;
    assert_eq!(ask(&other, &order.ticket_codes[0]).await.unwrap().status(), 404);
}

#[tokio::test]
async fn lookups_are_limited_per_user_so_codes_cannot_be_tried() {
    let app = spawn_app().await;
    let steward = app.signed_in("steward@a.test").await;
    let supervisor = app.signed_in("super@a.test").await;
    let door = format!("/events/{}/door", app.fixture.event_a);
    let ask = |client: &reqwest::Client, n: usize| {
        client
            .get(app.url(&door))
            .query(&[("code", format!("GUESS{n:015}"))])
            .send()
    };

    let limit = voelgoed::door::LOOKUPS_PER_MINUTE;
    for n in 0..limit {
        assert_eq!(ask(&steward, n).await.unwrap().status(), 404, "lookup {n}");
    }
    let refused = ask(&steward, limit).await.unwrap();

    assert_eq!(refused.status(), 429);
    assert!(refused.text().await.unwrap().contains("lookups a minute"));
    assert_eq!(
        ask(&supervisor, 0).await.unwrap().status(),
        404,
        "another user has their own"
    );
}
