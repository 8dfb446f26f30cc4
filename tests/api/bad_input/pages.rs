//! Bad input on every route: a clear 4xx, never a 5xx, and nothing changes.

use crate::helpers::{csrf_token, spawn_app, PASSWORD};

#[tokio::test]
async fn ids_that_are_not_numbers_are_pages_that_do_not_exist() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    for path in [
        "/events/abc",
        "/events/1.5",
        "/events/-",
        "/events/99999999999999999999999",
        "/events/abc/scans",
        "/sse/events/abc/occupancy",
        "/sse/events/%00/scans",
        "/events/%3Cscript%3E",
        "/events/abc/kiosk-links",
        "/kiosk/%00",
        "/kiosk/x/stream",
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains("Not found"), "{path}: {body}");
        assert!(!body.contains("<script>"), "{path} must not echo markup");
    }
}

#[tokio::test]
async fn junk_anywhere_gets_a_4xx_never_a_5xx() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let long = "x".repeat(10_000);
    let gets = [
        "/nope".to_string(),
        "/events?junk=%ZZ&&&=".to_string(),
        format!("/events?q={long}"),
        "/login?next=%FF%FE".to_string(),
        "/login?next=javascript:alert(1)".to_string(),
        "/assets/../../etc/passwd".to_string(),
        "/assets/nothing.js".to_string(),
        "/events/1/unknown".to_string(),
    ];
    for path in &gets {
        let status = client.get(app.url(path)).send().await.unwrap().status();
        assert!(status.is_success() || status.is_client_error(), "{path}: {status}");
    }
    let posts: [(&str, &[u8]); 8] = [
        ("/login", b""),
        ("/login", b"email=only"),
        ("/login", b"%%%"),
        ("/logout", b"csrf_token="),
        ("/events/1", b"x=1"),
        ("/events/1/kiosk-links/abc/revoke", b"csrf_token=x"),
        ("/events/abc/kiosk-links", b"gate="),
        ("/login", &[0xff, 0xfe, 0x00]),
    ];
    for (path, body) in posts {
        let response = client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_client_error(),
            "POST {path}: {}",
            response.status()
        );
    }
    assert_eq!(
        app.count("sessions").await,
        1,
        "only the test's own sign-in made a session"
    );
}

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

#[tokio::test]
async fn pages_without_a_session_answer_401_not_500() {
    let app = spawn_app().await;
    for path in [
        "/events",
        "/events/1",
        "/events/1/scans",
        "/sse/events/1/occupancy",
        "/sse/events/1/scans",
    ] {
        let response = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
    }
    let response = app
        .client()
        .post(app.url("/logout"))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn assets_are_served_compressed_with_long_cache_headers() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for asset in ["htmx.min.js", "sse.min.js", "app.css"] {
        let response = client
            .get(app.url(&format!("/assets/{asset}?v=1")))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(response.headers()["content-encoding"], "gzip", "{asset}");
    }
    let head = client.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(head.status(), 200);
}
