//! Sign-in, sessions, roles and CSRF.

use std::time::Duration;

use crate::helpers::{csrf_token, spawn_app, spawn_app_with, PASSWORD};

#[tokio::test]
async fn owner_signs_in_and_sees_their_events() {
    let app = spawn_app().await;
    let client = app.client();

    let response = app.sign_in(&client, "owner@a.test", PASSWORD).await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/events");
    let page = app.page(&client, "/events").await;
    assert!(page.contains("Alpha Festival"));
    assert!(page.contains("Alice Owner"));
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    let app = spawn_app().await;
    let client = app.client();

    let response = app.sign_in(&client, "owner@a.test", PASSWORD).await;

    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("vg_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP gets no Secure flag: {cookie}");
}

#[tokio::test]
async fn secure_cookies_setting_marks_the_session_cookie_secure() {
    let app = spawn_app_with(|s| s.secure_cookies = true).await;
    let response = app.sign_in(&app.client(), "owner@a.test", PASSWORD).await;
    let cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-vg_session="))
        .unwrap_or_else(|| panic!("a __Host- session cookie: {cookies:?}"));
    assert!(session.contains("Secure"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(!session.contains("Domain"), "{session}");
    assert!(!cookies.iter().any(|c| c.starts_with("vg_session=")), "{cookies:?}");
}

#[tokio::test]
async fn over_tls_only_the_host_prefixed_cookie_opens_a_session() {
    let app = spawn_app_with(|s| s.secure_cookies = true).await;
    let response = app.sign_in(&app.client(), "owner@a.test", PASSWORD).await;
    let token = response
        .cookies()
        .find(|c| c.name() == "__Host-vg_session")
        .unwrap()
        .value()
        .to_owned();
    let with = |name: &str| {
        app.client()
            .get(app.url("/events"))
            .header("cookie", format!("{name}={token}"))
            .send()
    };

    assert_eq!(with("__Host-vg_session").await.unwrap().status(), 200);
    // A cookie without the prefix could have been planted by a subdomain or over HTTP.
    assert_eq!(with("vg_session").await.unwrap().status(), 401);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;

    let wrong_password = app.sign_in(&app.client(), "owner@a.test", "not the password").await;
    let unknown_email = app.sign_in(&app.client(), "nobody@a.test", PASSWORD).await;

    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_email.status(), 401);
    let (a, b) = (
        wrong_password.text().await.unwrap(),
        unknown_email.text().await.unwrap(),
    );
    assert!(a.contains("do not match an account"));
    assert!(b.contains("do not match an account"));
    assert_eq!(app.count("sessions").await, 0, "a failed sign-in creates no session");
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let response = app.sign_in(&app.client(), "owner@a.test", "guess").await;
        assert_eq!(response.status(), 401);
    }

    let response = app.sign_in(&app.client(), "owner@a.test", PASSWORD).await;

    assert_eq!(response.status(), 429);
    assert!(response.text().await.unwrap().contains("Too many failed sign-ins"));
    assert_eq!(app.count("sessions").await, 0);
    // Another account is not affected.
    assert_eq!(app.sign_in(&app.client(), "owner@b.test", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn sign_in_without_the_forms_csrf_token_is_refused() {
    let app = spawn_app().await;
    let client = app.client();
    client.get(app.url("/login")).send().await.unwrap();

    let response = client
        .post(app.url("/login"))
        .form(&[
            ("email", "owner@a.test"),
            ("password", PASSWORD),
            ("csrf_token", "forged"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("form expired"));
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn session_id_is_renewed_at_sign_in() {
    let app = spawn_app().await;
    let client = app.client();
    let first = app.sign_in(&client, "owner@a.test", PASSWORD).await;
    let first_token = session_cookie(&first).expect("first session");

    let second = app.sign_in(&client, "owner@a.test", PASSWORD).await;
    let second_token = session_cookie(&second).expect("second session");

    assert_ne!(first_token, second_token);
    assert_eq!(app.count("sessions").await, 1, "the earlier session was replaced");
    let stale = app
        .client()
        .get(app.url("/events"))
        .header("cookie", format!("vg_session={first_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);
}

#[tokio::test]
async fn sign_out_needs_the_csrf_token_and_ends_the_session() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, "/events").await;
    let token = csrf_token(&page).expect("sign-out form has a token");

    let forged = client
        .post(app.url("/logout"))
        .form(&[("csrf_token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        client.get(app.url("/events")).send().await.unwrap().status(),
        200,
        "still signed in"
    );

    let response = client
        .post(app.url("/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(app.count("sessions").await, 0);
    assert_eq!(client.get(app.url("/events")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn csrf_token_is_also_accepted_from_the_htmx_header() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, "/events").await;
    let token = csrf_token(&page).unwrap();

    let response = client
        .post(app.url("/logout"))
        .header("X-CSRF-Token", token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn expired_session_gets_a_clear_401_with_a_way_to_sign_in() {
    let app = spawn_app_with(|s| s.session_ttl = Duration::from_millis(300)).await;
    let client = app.signed_in("owner@a.test").await;
    assert_eq!(client.get(app.url("/events")).send().await.unwrap().status(), 200);

    tokio::time::sleep(Duration::from_millis(400)).await;
    let response = client.get(app.url("/events")).send().await.unwrap();

    assert_eq!(response.status(), 401);
    let body = response.text().await.unwrap();
    assert!(body.contains("Sign in to continue"));
    assert!(body.contains(r#"href="/login""#));
}

#[tokio::test]
async fn htmx_requests_without_a_session_are_redirected_by_header() {
    let app = spawn_app().await;
    let response = app
        .client()
        .get(app.url("/events"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["hx-redirect"], "/login");
}

#[tokio::test]
async fn supervisor_signs_in_too() {
    let app = spawn_app().await;
    let client = app.signed_in("super@a.test").await;
    let page = client
        .get(app.url(&format!("/events/{}", app.fixture.event_a)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn sign_in_returns_to_a_local_page_only() {
    let app = spawn_app().await;
    for (next, expected) in [
        ("/events/1", "/events/1"),
        ("//evil.test/x", "/events"),
        ("https://evil.test", "/events"),
    ] {
        let client = app.client();
        let page = app.page(&client, "/login").await;
        let token = csrf_token(&page).unwrap();
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("email", "owner@a.test"),
                ("password", PASSWORD),
                ("csrf_token", &token),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], expected, "next={next}");
    }
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .cookies()
        .find(|c| c.name() == "vg_session")
        .map(|c| c.value().to_owned())
}
