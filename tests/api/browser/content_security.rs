//! The content security policy in Chromium: every screen keeps to it, and the check
//! itself is proven to catch a page that breaks it.

use std::time::Duration;

use crate::helpers::browser::Browser;
use crate::helpers::{batch, scan, spawn_app};

/// A page that breaks the console's own policy, served with it: an inline style and an
/// inline script. Proves the check above sees a violation when there is one.
fn serve_a_violating_page() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let body = r#"<!DOCTYPE html><html><head><title>bad</title></head>
                <body><p style="color: red">inline style</p><script>document.title = "ran";</script></body></html>"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-security-policy: {}\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                voelgoed::security_headers::CONTENT_SECURITY_POLICY,
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    address
}

#[tokio::test]
async fn the_browser_check_catches_a_page_that_breaks_the_policy() {
    let page = serve_a_violating_page();
    let browser = Browser::start().await;

    browser.client.goto(&format!("{page}/")).await.unwrap();

    let violations = browser.csp_violations().await;
    assert!(violations.iter().any(|v| v.contains("inline style")), "{violations:#?}");
    assert!(
        violations.iter().any(|v| v.contains("inline script")),
        "{violations:#?}"
    );
    assert_eq!(
        browser.client.title().await.unwrap(),
        "bad",
        "the inline script did not run"
    );
    let _ = browser.client.clone().close().await;
}

#[tokio::test]
async fn every_screen_of_the_console_keeps_to_the_content_security_policy() {
    let app = spawn_app().await;
    let order = app.sell_tickets_a(2).await;
    let (north, _) = app.device_a("North").await;
    app.post_scans(&north, &batch(vec![scan("csp-1", &order.ticket_codes[0], "in")]))
        .await;
    let event = app.fixture.event_a;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;

    for path in [
        "/events".to_owned(),
        format!("/events/{event}"),
        format!("/events/{event}/scans"),
        format!("/events/{event}/kiosk-links"),
        "/orders".into(),
        format!("/orders/{}", order.id),
        format!("/orders/{}/refund?scope=all", order.id),
        "/audit".into(),
        "/no-such-page".into(),
    ] {
        browser.goto(&app.url(&path)).await;
        // Let live streams deliver their first swaps, which must keep to the policy too.
        tokio::time::sleep(Duration::from_millis(400)).await;
        browser.assert_no_csp_violations().await;
    }
    browser.close().await;
}
