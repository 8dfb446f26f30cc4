//! Bad input on the pages and streams: ids that are not numbers, junk anywhere and no
//! session get a clear 4xx, never a 5xx, and nothing changes.

use crate::helpers::spawn_app;

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
