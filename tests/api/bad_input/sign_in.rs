//! The sign-in form with bad input: a missing field is a clear 400, an oversized form is
//! refused unread, markup is escaped when shown back, and random forms never get a 5xx or
//! open a session.

use proptest::prelude::*;

use crate::helpers::properties::{any_text, check_property};
use crate::helpers::{csrf_token, spawn_app, PASSWORD};

#[tokio::test]
async fn a_login_form_missing_fields_is_a_clear_400() {
    let app = spawn_app().await;
    let client = app.client();
    let page = app.page(&client, "/login").await;
    let token = csrf_token(&page).unwrap();

    let response = client
        .post(app.url("/login"))
        .form(&[("csrf_token", token.as_str()), ("email", "owner@a.test")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("missing field `password`"));
}

#[tokio::test]
async fn an_oversized_form_is_refused_without_reading_it_all() {
    let app = spawn_app().await;
    let client = app.client();
    client.get(app.url("/login")).send().await.unwrap();
    let huge = format!("email=owner%40a.test&password={}&csrf_token=x", "a".repeat(200_000));

    let response = client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();

    assert!(response.status().is_client_error(), "{}", response.status());
    assert_eq!(app.count("sign_in_attempts").await, 0);
}

#[tokio::test]
async fn markup_in_input_is_escaped_when_shown_back() {
    let app = spawn_app().await;
    let response = app
        .sign_in(&app.client(), "<script>alert(1)</script>@a.test", PASSWORD)
        .await;
    assert_eq!(response.status(), 401);
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script>alert(1)</script>"));
    assert!(body.contains("&lt;script&gt;"));
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
