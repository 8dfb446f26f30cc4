//! A refused htmx request says why inside the page: its error answer is the message
//! alone, retargeted into `#flash`, with the status kept; a full page load still gets
//! the whole error page (a signed-out htmx request is still sent to sign in:
//! `auth::htmx_requests_without_a_session_are_redirected_by_header`).

use crate::helpers::{spawn_app, text_of};

#[tokio::test]
async fn a_refused_filter_from_htmx_is_swapped_into_the_flash_area() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let url = app.url("/orders?from=2026-12-10&to=2026-12-01");

    let from_htmx = client.get(&url).header("HX-Request", "true").send().await.unwrap();
    assert_eq!(from_htmx.status(), 400);
    assert_eq!(from_htmx.headers()["hx-retarget"], "#flash");
    assert_eq!(from_htmx.headers()["hx-reswap"], "innerHTML");
    let body = from_htmx.text().await.unwrap();
    assert_eq!(
        text_of(&body, "p.notice.error").as_deref(),
        Some("The from date is after the to date.")
    );
    assert!(!body.contains("<html"), "a fragment, not a page: {body}");

    let page = client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.headers().get("hx-retarget").is_none());
    let body = page.text().await.unwrap();
    assert!(body.contains("<html") && body.contains("The from date is after the to date."));
}

#[tokio::test]
async fn every_page_has_the_flash_area_and_htmx_swaps_error_answers() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, "/orders").await;
    assert!(page.contains(r#"<div id="flash" role="alert"></div>"#), "{page}");
    assert!(page.contains(r#"{&quot;code&quot;:&quot;[45]..&quot;,&quot;swap&quot;:true,&quot;error&quot;:true}"#));
}

#[tokio::test]
async fn a_history_restore_gets_the_whole_page_even_when_refused() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let response = client
        .get(app.url("/orders?status=shipped"))
        .header("HX-Request", "true")
        .header("HX-History-Restore-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("hx-retarget").is_none());
    assert!(response.text().await.unwrap().contains("<html"));
}
