//! Browser security: the headers every response carries, pages without inline code,
//! and sign-in sending people only to our own pages.

use crate::helpers::{csrf_token, spawn_app, spawn_app_with, TestApp, PASSWORD};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// Every screen an organiser can reach, with data on it.
async fn screens(app: &TestApp) -> Vec<String> {
    let order = app.sell_tickets_a(2).await;
    let event = app.fixture.event_a;
    vec![
        "/login".into(),
        "/events".into(),
        format!("/events/{event}"),
        format!("/events/{event}/scans"),
        format!("/events/{event}/kiosk-links"),
        "/orders".into(),
        format!("/orders/{}", order.id),
        format!("/orders/{}/refund?scope=all", order.id),
        "/audit".into(),
        "/no-such-page".into(),
    ]
}

#[tokio::test]
async fn every_html_page_carries_the_content_security_policy_and_no_inline_code() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;

    for path in screens(&app).await {
        let response = client.get(app.url(&path)).send().await.unwrap();
        let headers = response.headers().clone();
        assert_eq!(headers["content-security-policy"], CSP, "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert!(headers.get("strict-transport-security").is_none(), "plain HTTP: {path}");
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        for inline in [
            "[style]",
            "style",
            "script:not([src])",
            "[onclick]",
            "[onload]",
            "[hx-on]",
        ] {
            let selector = scraper::Selector::parse(inline).unwrap();
            assert_eq!(page.select(&selector).count(), 0, "{inline} on {path}");
        }
        let config = scraper::Selector::parse(r#"meta[name="htmx-config"]"#).unwrap();
        let config: serde_json::Value =
            serde_json::from_str(page.select(&config).next().unwrap().value().attr("content").unwrap()).unwrap();
        assert_eq!(config["includeIndicatorStyles"], false, "{path}");
        assert_eq!(config["allowEval"], false, "{path}");
    }
}

/// Answers to machines (the device API, the probes) carry what matters to them and
/// pass none of the pages' layers: no page policy or referrer policy, no gzip even when
/// asked, an htmx-looking error left as JSON. Pages keep all of it.
#[tokio::test]
async fn machine_answers_carry_nosniff_and_no_store_but_none_of_the_page_headers() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let as_a_browser = |request: reqwest::RequestBuilder| {
        request
            .header("accept-encoding", "gzip")
            .header("hx-request", "true")
            .send()
    };

    let health = as_a_browser(app.client().get(app.url("/healthz"))).await.unwrap();
    let refused = as_a_browser(
        app.client()
            .post(app.url("/api/v1/scans"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"scans": []})),
    )
    .await
    .unwrap();
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let scans = crate::helpers::batch(vec![crate::helpers::scan("h1", &code, "in")]);
    let scanned = as_a_browser(
        app.client()
            .post(app.url("/api/v1/scans"))
            .bearer_auth(&token)
            .json(&scans),
    )
    .await
    .unwrap();
    let unknown = as_a_browser(app.client().post(app.url("/api/v1/nothing")).bearer_auth(&token))
        .await
        .unwrap();

    assert_eq!(
        [health.status(), refused.status(), scanned.status(), unknown.status()].map(|s| s.as_u16()),
        [200, 400, 200, 404]
    );
    for response in [&health, &refused, &scanned, &unknown] {
        let url = response.url().path();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(headers["cache-control"], "no-store", "{url}");
        for page_header in [
            "content-security-policy",
            "referrer-policy",
            "content-encoding",
            "hx-retarget",
        ] {
            assert!(headers.get(page_header).is_none(), "{url} carries {page_header}");
        }
    }
    for response in [&refused, &scanned, &unknown] {
        assert_eq!(response.headers()["content-type"], "application/json");
    }
    assert_eq!(
        scanned.json::<serde_json::Value>().await.unwrap()["results"][0]["result"],
        "valid"
    );

    let page = as_a_browser(app.client().get(app.url("/login"))).await.unwrap();
    assert_eq!(page.headers()["content-encoding"], "gzip");
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(page.headers().get("content-security-policy").is_some());
}

#[tokio::test]
async fn strict_transport_security_only_when_served_securely() {
    let secure = spawn_app_with(|s| s.secure_cookies = true).await;
    let response = secure.client().get(secure.url("/login")).send().await.unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );

    // A client cannot claim TLS itself; a trusted proxy can.
    let plain = spawn_app().await;
    let claimed = plain
        .client()
        .get(plain.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(claimed.headers().get("strict-transport-security").is_none());

    let proxied = spawn_app_with(|s| {
        s.trusted_proxies = voelgoed::config::TrustedProxies::parse(&["127.0.0.0/8".into()]).unwrap()
    })
    .await;
    let forwarded = proxied
        .client()
        .get(proxied.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(forwarded.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn pages_with_buyers_data_are_never_stored() {
    let app = spawn_app().await;
    let order = app.sell_tickets_a(1).await;
    let client = app.signed_in("owner@a.test").await;

    for path in [
        "/orders".to_owned(),
        format!("/orders/{}", order.id),
        "/orders.csv".into(),
    ] {
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    let fragment = client
        .get(app.url("/orders?q=VG"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.headers()["cache-control"], "no-store");
}

/// Where a successful sign-in with this `next` lands.
async fn lands_after_sign_in(app: &TestApp, next: &str) -> String {
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
    assert_eq!(response.status(), 303, "next={next:?}");
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn sign_in_never_sends_anyone_to_another_host() {
    let app = spawn_app().await;
    for next in [
        "/\t/evil.test",
        "/\\evil.test",
        "//evil.test",
        "/%2F%2Fevil.test",
        "/%5Cevil.test",
        "/%09/evil.test",
        "https:evil.test",
        "https://evil.test",
        "/\n/evil.test",
        "evil.test",
    ] {
        assert_eq!(lands_after_sign_in(&app, next).await, "/events", "next={next:?}");
    }
    assert_eq!(
        lands_after_sign_in(&app, "/orders?status=paid").await,
        "/orders?status=paid"
    );
}

#[tokio::test]
async fn sign_in_link_with_a_foreign_next_keeps_the_user_on_site() {
    let app = spawn_app().await;
    // As the issue found it: the query decodes `%09` to a tab.
    for link in [
        "/login?next=/%09/evil.test",
        "/login?next=/%5Cevil.test",
        "/login?next=//evil.test",
        "/login?next=/%252F%252Fevil.test",
        "/login?next=https:evil.test",
    ] {
        let page = app.page(&app.client(), link).await;
        let html = scraper::Html::parse_document(&page);
        let next = scraper::Selector::parse(r#"input[name="next"]"#).unwrap();
        let value = html.select(&next).next().unwrap().value().attr("value").unwrap();
        assert_eq!(value, "/events", "{link}");
    }
}
