//! Order management with bad input or another organisation's ids: a clear 4xx, nothing
//! changed, nothing rendered unescaped, and the other organisation's orders never seen;
//! hostile search text (search syntax, SQL, markup) on both backends, and random
//! order-list query strings never a 5xx.

use proptest::prelude::*;

use crate::helpers::orders::{codes_in, place, place_a, NOV_25_0030_AMSTERDAM};
use crate::helpers::properties::{any_text, check_property};
use crate::helpers::{csrf_token, spawn_app, TestApp};
use voelgoed::db;
use voelgoed::orders::PlacedOrder;

crate::helpers::on_both_backends!(
    "ob_";
    sql_and_markup_in_the_search_are_harmless_and_escaped,
    hostile_search_text_never_fails,
);

async fn order_of_b(app: &TestApp) -> PlacedOrder {
    let (tenant, event, ticket_type) = (app.fixture.org_b, app.fixture.event_b, app.fixture.ticket_type_b);
    place(
        app,
        tenant,
        event,
        ticket_type,
        ("Bea Other", "bea@other.test"),
        2,
        db::now_ms(),
    )
    .await
}

#[tokio::test]
async fn bad_filters_get_a_clear_400() {
    let app = spawn_app().await;
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let long = "x".repeat(10 * 1024);
    let cursor_page = {
        for _ in 0..55 {
            place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
        }
        app.page(&client, "/orders").await
    };
    let start = cursor_page.find("after=").unwrap() + "after=".len();
    let cursor: String = cursor_page[start..]
        .chars()
        .take_while(|c| *c != '"' && *c != '&')
        .collect();
    let tampered = {
        let (created_at, rest) = cursor.split_once('.').unwrap();
        let created_at: i64 = created_at.parse().unwrap();
        format!("{}.{rest}", created_at - 1)
    };
    assert_eq!(
        client
            .get(app.url(&format!("/orders?after={cursor}")))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let cases = [
        ("/orders?status=shipped".to_string(), "status must be"),
        ("/orders?from=25-11-2026".to_string(), "from date must be a date"),
        ("/orders?to=2026-13-01".to_string(), "to date must be a date"),
        (
            "/orders?from=2026-11-26&to=2026-11-25".to_string(),
            "from date is after the to date",
        ),
        (format!("/orders?after={tampered}"), "cursor"),
        ("/orders?after=1.2".to_string(), "cursor"),
        ("/orders?event=abc".to_string(), "event must be"),
        (format!("/orders?q={long}"), "longer than 200"),
        (format!("/orders.csv?q={long}"), "longer than 200"),
        ("/orders.csv?status=shipped".to_string(), "status must be"),
        ("/sse/orders?since=abc".to_string(), "since must be"),
        ("/orders/abc".to_string(), "Not found"),
        ("/orders/1/refund?scope=everything".to_string(), "scope must be"),
    ];
    for (path, message) in cases {
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(
            response.status(),
            if message == "Not found" { 404 } else { 400 },
            "{path:.80}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{path:.80}: {body:.300}");
    }
}

async fn sql_and_markup_in_the_search_are_harmless_and_escaped(app: TestApp) {
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;

    for q in [
        "' OR 1=1 --",
        "%' OR '1'='1",
        "\"><script>alert(1)</script>",
        "anna'; DROP TABLE orders; --",
        "%",
        "_",
    ] {
        let response = client.get(app.url("/orders")).query(&[("q", q)]).send().await.unwrap();
        assert_eq!(response.status(), 200, "{q}");
        let page = response.text().await.unwrap();
        assert!(codes_in(&page).is_empty(), "{q} matches nothing");
        assert!(!page.contains("<script>alert"), "{q} is escaped");
    }
    assert_eq!(codes_in(&app.page(&client, "/orders").await), vec![order.code]);
    assert_eq!(app.count("orders").await, 1);
}

#[tokio::test]
async fn another_organisations_orders_are_never_seen_or_changed() {
    let app = spawn_app().await;
    let own = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let theirs = order_of_b(&app).await;
    let client = app.signed_in("owner@a.test").await;
    let missing = theirs.id.max(own.id) + 1000;

    // List, search (by code, e-mail and name) and export: only the own order.
    for path in [
        "/orders",
        "/orders?q=bea",
        "/orders?q=BEA%40OTHER",
        "/orders.csv",
        "/orders.csv?q=bea",
    ] {
        let body = app.page(&client, path).await;
        assert!(!body.contains(&theirs.code), "{path}");
        assert!(!body.contains("bea@other.test"), "{path}");
    }
    let by_code = app.page(&client, &format!("/orders?q={}", theirs.code)).await;
    assert!(codes_in(&by_code).is_empty());
    let csv = app.page(&client, "/orders.csv").await;
    assert!(csv.contains(&own.code) && !theirs.ticket_codes.iter().any(|c| csv.contains(c.as_str())));

    // The order page and the refund confirmation answer exactly like a missing order.
    for path in ["/orders/{id}", "/orders/{id}/refund?scope=all"] {
        let other = client
            .get(app.url(&path.replace("{id}", &theirs.id.to_string())))
            .send()
            .await
            .unwrap();
        let absent = client
            .get(app.url(&path.replace("{id}", &missing.to_string())))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404, "{path}");
        assert_eq!(absent.status(), 404, "{path}");
        assert_eq!(other.text().await.unwrap(), absent.text().await.unwrap(), "{path}");
    }

    // Refund and resend of their order: 404, nothing written.
    let token = csrf_token(&app.page(&client, &format!("/orders/{}", own.id)).await).unwrap();
    let refund = client
        .post(app.url(&format!("/orders/{}/refund", theirs.id)))
        .form(&[
            ("csrf_token", token.as_str()),
            ("idempotency_key", "x-org"),
            ("scope", "all"),
            ("reason", "fraud"),
        ])
        .send()
        .await
        .unwrap();
    let resend = client
        .post(app.url(&format!("/orders/{}/resend-confirmation", theirs.id)))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refund.status(), 404);
    assert_eq!(resend.status(), 404);
    assert_eq!(app.count("refunds").await, 0);
    assert_eq!(app.count("email_outbox").await, 0);
    let order_entries = app
        .db(|conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::subject_type.eq("order"))
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
        .await;
    assert_eq!(order_entries, 0, "only the sign-ins are in the audit log");

    // Org B's owner sees their own order and not A's.
    let owner_b = app.signed_in("owner@b.test").await;
    let list_b = app.page(&owner_b, "/orders").await;
    assert_eq!(codes_in(&list_b), vec![theirs.code.clone()]);
}

#[tokio::test]
async fn a_cursor_from_another_organisation_is_refused() {
    let app = spawn_app().await;
    for _ in 0..55 {
        place(
            &app,
            app.fixture.org_b,
            app.fixture.event_b,
            app.fixture.ticket_type_b,
            ("Bea", "bea@other.test"),
            1,
            db::now_ms(),
        )
        .await;
    }
    let owner_b = app.signed_in("owner@b.test").await;
    let page_b = app.page(&owner_b, "/orders").await;
    let start = page_b.find("/orders?after=").unwrap();
    let next: String = page_b[start..].chars().take_while(|c| *c != '"').collect();
    let owner_a = app.signed_in("owner@a.test").await;

    let response = owner_a.get(app.url(&next.replace("&amp;", "&"))).send().await.unwrap();

    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn order_actions_without_a_session_or_csrf_token_change_nothing() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let anonymous = app.client();
    let owner = app.signed_in("owner@a.test").await;

    for path in [
        "/orders",
        "/orders.csv",
        "/sse/orders",
        &format!("/orders/{}", order.id),
    ] {
        assert_eq!(
            anonymous.get(app.url(path)).send().await.unwrap().status(),
            401,
            "{path}"
        );
    }
    for path in [
        format!("/orders/{}/refund", order.id),
        format!("/orders/{}/resend-confirmation", order.id),
    ] {
        let response = owner
            .post(app.url(&path))
            .form(&[("idempotency_key", "k"), ("scope", "all")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }
    assert_eq!(app.count("refunds").await, 0);
    assert_eq!(app.count("email_outbox").await, 0);
}

/// The codes `/orders?q=…` lists for org A's owner.
async fn search(app: &TestApp, client: &reqwest::Client, q: &str) -> Vec<String> {
    let query = serde_urlencoded::to_string([("q", q)]).unwrap();
    codes_in(&app.page(client, &format!("/orders?{query}")).await)
}

async fn hostile_search_text_never_fails(app: TestApp) {
    let app = &app;
    let order = place_a(app, ("Ann O'Brien", "ann@example.test"), 1, NOV_25_0030_AMSTERDAM).await;
    let client = app.signed_in("owner@a.test").await;
    // SQL and markup (also `%` and `_`): `sql_and_markup_in_the_search_are_harmless_and_escaped`.
    let hostile = [
        "\"",
        "\"\"",
        "*",
        "obrien*",
        "NEAR(",
        "NEAR(ann obrien)",
        "-",
        "-ann",
        "ann -obrien",
        ":",
        "doc:ann",
        "org:\"#1#\"",
        "{doc}: ann",
        "^ann",
        "ann AND",
        "OR",
        "NOT ann",
        "(",
        ")",
        "'",
        "O'Brien",
        "\\",
        "ann%",
        "a\"b*c",
        "';DROP TABLE orders;--",
        "é",
        "ñ*",
    ];
    for q in hostile {
        let query = serde_urlencoded::to_string([("q", q)]).unwrap();
        let response = client.get(app.url(&format!("/orders?{query}"))).send().await.unwrap();
        assert_eq!(response.status(), 200, "{q:?}");
    }
    assert_eq!(search(app, &client, "O'Brien").await, vec![order.code.clone()]);
    assert_eq!(search(app, &client, "o'bri").await, vec![order.code.clone()]);
    assert!(search(app, &client, "%").await.is_empty(), "% is no wildcard");
    let longest = "a".repeat(200);
    let too_long = "a".repeat(201);
    let status = |q: String| {
        let client = client.clone();
        async move {
            let query = serde_urlencoded::to_string([("q", q)]).unwrap();
            let response = client.get(app.url(&format!("/orders?{query}"))).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(status(longest).await.0, 200);
    let (code, body) = status(too_long).await;
    assert_eq!(code, 400);
    assert!(body.contains("longer than 200 characters"), "{body}");
    let words = "ann ".repeat(50);
    assert_eq!(status(words).await.0, 200, "50 words");
}

#[test]
fn random_order_list_query_strings_never_get_a_5xx() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = std::sync::Arc::new(runtime.block_on(spawn_app()));
    let owner = runtime.block_on(app.signed_in(&app.fixture.owner_a));
    let field = prop_oneof![
        Just("q"),
        Just("status"),
        Just("event"),
        Just("from"),
        Just("to"),
        Just("after"),
        Just("since")
    ];
    let query = prop::collection::vec((field, any_text()), 0..6);
    check_property(&runtime, 120, query, |pairs| {
        let (app, owner) = (app.clone(), owner.clone());
        Box::pin(async move {
            let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            for path in ["/orders", "/orders.csv"] {
                let response = owner.get(app.url(&format!("{path}?{query}"))).send().await;
                let status = response.map(|r| r.status().as_u16()).unwrap_or(0);
                prop_assert!([200, 400, 404, 429].contains(&status), "{status} for {path}?{query}");
            }
            Ok(())
        })
    });
}
