//! Two-factor sign-in in Chromium: an owner enrols from the page (reading the key shown
//! beside the QR code), signs out, and signs in again with the password and a code
//! computed from that key, with no CSP violation on the way.

use fantoccini::Locator;

use crate::helpers::browser::Browser;
use crate::helpers::two_factor::{code, fresh_step};
use crate::helpers::{spawn_app, PASSWORD};

#[tokio::test]
async fn an_owner_enrols_and_then_signs_in_with_a_code_in_the_browser() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    fresh_step().await;
    browser.goto(&app.url("/account/two-factor")).await;
    browser.wait_for_element("svg[data-qr]").await;
    let secret = browser.text("code[data-secret]").await.replace(' ', "");
    browser.fill(r#"main input[name="code"]"#, &code(&secret, -1)).await;
    browser.click(Locator::Css(r#"main button[type="submit"]"#)).await;
    browser.wait_for_element("code[data-recovery-code]").await;
    assert!(browser.text("ol.recovery-codes").await.lines().count() >= 10);

    browser.click(Locator::Css("details.account summary")).await;
    browser.click(Locator::Css(r#"form[action="/logout"] button"#)).await;
    wait_for_path(&browser, "/login").await;
    browser.fill(r#"input[name="email"]"#, "owner@a.test").await;
    browser.fill(r#"input[name="password"]"#, PASSWORD).await;
    browser.click(Locator::Css(r#"button[type="submit"]"#)).await;
    wait_for_path(&browser, "/login/code").await;
    browser.fill(r#"input[name="code"]"#, &code(&secret, 0)).await;
    browser.click(Locator::Css(r#"button[type="submit"]"#)).await;
    wait_for_path(&browser, "/events").await;
    assert!(!browser.text("main h1").await.is_empty(), "the events page, signed in");
    browser.assert_no_csp_violations().await;
    browser.close().await;
}

async fn wait_for_path(browser: &Browser, path: &'static str) {
    browser
        .wait_for(|b| async move { b.client.current_url().await.unwrap().path() == path })
        .await;
}
