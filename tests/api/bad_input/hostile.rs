//! Hostile input: control characters are refused with a 400 naming the field on both
//! backends, and random or malformed scan batches, order-list query strings and sign-in
//! forms never panic, never get a 5xx and never change data (property tests).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use voelgoed::db::DatabaseUrl;

use crate::helpers::postgres::fresh_postgres_database;
use crate::helpers::{batch, csrf_token, scan, spawn_app, spawn_on, TestApp};

async fn control_characters_are_refused_naming_the_field(app: &TestApp) {
    let (token, _) = app.device_a("North").await;
    for code in ["AB\u{0}CD", "AB\u{1b}[2J", "line\nbreak", "del\u{7f}"] {
        let (status, answer) = app.post_scans(&token, &batch(vec![scan("c1", code, "in")])).await;
        assert_eq!(status, 400, "{code:?}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("scans[0].ticket_code") && error.contains("control"),
            "{error}"
        );
    }
    // A good scan in the same group as a refused one is unaffected.
    let code = app.place_order_a(1).await.ticket_codes[0].clone();
    let (status, answer) = app.post_scans(&token, &batch(vec![scan("ok", &code, "in")])).await;
    assert_eq!((status, answer["results"][0]["result"].as_str()), (200, Some("valid")));
    assert_eq!(app.count("scans").await, 1);

    let owner = app.signed_in(&app.fixture.owner_a).await;
    let search = owner
        .get(app.url("/orders?q=anna%00smith"))
        .send()
        .await
        .expect("search");
    assert_eq!(search.status(), 400);
    assert!(search
        .text()
        .await
        .expect("body")
        .contains("The search text must not contain control characters"));

    let client = app.client();
    let page = app.page(&client, "/login").await;
    let csrf = csrf_token(&page).expect("csrf");
    let response = client
        .post(app.url("/login"))
        .form(&[("email", "owner@a.test\u{0}"), ("password", "x"), ("csrf_token", &csrf)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 400);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("The e-mail address must not contain control characters"));
}

#[tokio::test]
async fn control_characters_are_refused_on_sqlite() {
    control_characters_are_refused_naming_the_field(&spawn_app().await).await;
}

#[tokio::test]
async fn control_characters_are_refused_on_postgres() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let url = fresh_postgres_database(&admin_url, &format!("voelgoed_hostile_{}", std::process::id()));
    let app = spawn_on(
        DatabaseUrl::parse(&url).expect("url"),
        |_| {},
        tempfile::tempdir().expect("dir"),
    )
    .await;
    control_characters_are_refused_naming_the_field(&app).await;
}

/// Any text, control characters and all.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[\\x00-\\x1f\\x7f]{1,5}",
        Just(String::new()),
        "[0-9]{1,25}",
        "-?[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}",
    ]
}

/// JSON of any shape, nested a little.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        any_text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("scans".to_owned()),
                    Just("id".to_owned()),
                    Just("ticket_code".to_owned()),
                    Just("direction".to_owned()),
                    Just("scanned_at".to_owned()),
                    any_text()
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A scan batch that is almost right: every field drawn from good and bad values.
fn nearly_a_batch() -> impl Strategy<Value = serde_json::Value> {
    let direction = prop_oneof![Just("in".to_owned()), Just("out".to_owned()), any_text()];
    let scanned_at = prop_oneof![
        Just(chrono::Utc::now().to_rfc3339()),
        Just("2999-01-01T00:00:00Z".to_owned()),
        any_text()
    ];
    let one = (any_text(), any_text(), direction, scanned_at).prop_map(|(id, code, direction, at)| {
        serde_json::json!({ "id": id, "ticket_code": code, "direction": direction, "scanned_at": at })
    });
    prop::collection::vec(one, 0..4).prop_map(|scans| serde_json::json!({ "scans": scans }))
}

/// Runs `cases` of `strategy` against the app, each through `check` on the runtime.
fn check_property<S: Strategy>(
    runtime: &tokio::runtime::Runtime,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> futures_util::future::BoxFuture<'static, Result<(), TestCaseError>>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |value| runtime.block_on(check(value)));
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[test]
fn random_scan_batches_never_get_a_5xx_and_record_only_what_was_acknowledged() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = std::sync::Arc::new(runtime.block_on(spawn_app()));
    let (token, _) = runtime.block_on(app.device_a("North"));
    let bodies = prop_oneof![any_json(), nearly_a_batch()];
    check_property(&runtime, 160, bodies, |body| {
        let (app, token) = (app.clone(), token.clone());
        Box::pin(async move {
            let before = app.count("scans").await;
            let (status, answer) = app.post_scans(&token, &body).await;
            let after = app.count("scans").await;
            prop_assert!(status < 500, "{status} for {body}: {answer}");
            if status == 200 {
                let sent = body["scans"].as_array().map_or(0, Vec::len);
                prop_assert_eq!(answer["results"].as_array().map_or(0, Vec::len), sent);
                prop_assert!(after - before <= sent as i64);
            } else {
                prop_assert!(answer["error"].is_string(), "{answer}");
                prop_assert_eq!(before, after, "a refused batch recorded scans: {}", body);
            }
            Ok(())
        })
    });
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

#[test]
fn random_sign_in_forms_never_get_a_5xx_and_open_no_session() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = std::sync::Arc::new(runtime.block_on(spawn_app()));
    let form = (any_text(), any_text(), any::<bool>(), prop::option::of(any_text()));
    check_property(&runtime, 40, form, |(email, password, with_csrf, next)| {
        let app = app.clone();
        Box::pin(async move {
            let client = app.client();
            let page = app.page(&client, "/login").await;
            let csrf = if with_csrf {
                csrf_token(&page).unwrap_or_default()
            } else {
                email.clone()
            };
            let mut fields = vec![("email", email.clone()), ("password", password), ("csrf_token", csrf)];
            fields.extend(next.map(|n| ("next", n)));
            let status = client
                .post(app.url("/login"))
                .form(&fields)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            prop_assert!([400, 401, 403, 429].contains(&status), "{status} for {email:?}");
            prop_assert_eq!(app.count("sessions").await, 0);
            Ok(())
        })
    });
}
