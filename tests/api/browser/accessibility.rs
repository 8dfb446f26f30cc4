//! Every screen passes axe-core's WCAG 2.1 A and AA rules (contrast included) in
//! Chromium, at 360 × 740 and at 1280 × 800, signed in as each role and signed out
//! (sign-in, kiosk); and the screens used at the door (the monitor, the door lookup, the
//! kiosk links) have touch targets of at least 44 × 44 CSS px (WCAG 2.5.5).

use std::time::Duration;

use crate::helpers::browser::Browser;
use crate::helpers::{batch, csrf_token, scan, spawn_app_with, TestApp};

const WIDTHS: [(u32, u32); 2] = [(360, 740), (1280, 800)];
const ROLES: [&str; 4] = ["owner@a.test", "finance@a.test", "super@a.test", "steward@a.test"];

/// The console with something on every screen: an order with a scanned ticket, a
/// forged scan (a gate alert), a kiosk link, a finished bulk job and a webhook.
struct Console {
    app: TestApp,
    screens: Vec<String>,
    kiosk: String,
}

async fn console() -> Console {
    let app = spawn_app_with(|s| {
        s.alert_check_every = Duration::from_millis(200);
        s.webhooks.allow_private = true;
    })
    .await;
    let order = app.sell_tickets_a(3).await;
    let (north, _) = app.device_a("North").await;
    app.post_scans(&north, &batch(vec![scan("a11y-1", &order.ticket_codes[0], "in")]))
        .await;
    let forged = (0..4)
        .map(|i| scan(&format!("a11y-f{i}"), &format!("FAKE01{i:04}QQ"), "in"))
        .collect();
    app.post_scans(&north, &batch(forged)).await;
    let owner = app.signed_in("owner@a.test").await;
    let event = app.fixture.event_a;
    let kiosk = post_for_path(
        &app,
        &owner,
        &format!("/events/{event}/kiosk-links"),
        &[("gate", "")],
        "/kiosk/",
    )
    .await;
    let job = start_export(&app, &owner, order.id).await;
    let webhook = {
        let fields = [("url", "http://127.0.0.1:9/hook"), ("event", "order.paid")];
        post_for_path(&app, &owner, "/settings/webhooks", &fields, "/settings/webhooks/").await
    };
    let screens = vec![
        "/events".to_owned(),
        format!("/events/{event}"),
        format!("/events/{event}/scans"),
        format!("/events/{event}/door"),
        format!("/events/{event}/door?code={}", order.ticket_codes[0]),
        format!("/events/{event}/kiosk-links"),
        "/orders".into(),
        format!("/orders/{}", order.id),
        format!("/orders/{}/refund?scope=all", order.id),
        job,
        "/audit".into(),
        "/team".into(),
        "/account/two-factor".into(),
        "/settings/webhooks".into(),
        webhook,
        "/no-such-page".into(),
    ];
    Console { app, screens, kiosk }
}

/// Posts a form from `page` (its CSRF token added) and returns the first path in the
/// answer that starts with `prefix`.
async fn post_for_path(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    fields: &[(&str, &str)],
    prefix: &str,
) -> String {
    let token = csrf_token(&app.page(client, page).await).unwrap();
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    let answer = client.post(app.url(page)).form(&form).send().await.unwrap();
    let text = answer.text().await.unwrap();
    let start = text.find(prefix).unwrap_or_else(|| panic!("{prefix} in {text}"));
    text[start..].split(['"', '<', '\'']).next().unwrap().to_owned()
}

/// An export job of one order, started through the order list's bulk form: its page.
async fn start_export(app: &TestApp, client: &reqwest::Client, order: i64) -> String {
    let list = scraper::Html::parse_document(&app.page(client, "/orders").await);
    let hidden = scraper::Selector::parse("#bulk-form input[type=hidden]").unwrap();
    let mut form: Vec<(String, String)> = list
        .select(&hidden)
        .map(|input| {
            (
                input.attr("name").unwrap().to_owned(),
                input.attr("value").unwrap_or("").to_owned(),
            )
        })
        .collect();
    form.extend([("scope", "selected"), ("action", "export")].map(|(k, v)| (k.to_owned(), v.to_owned())));
    form.push(("order".into(), order.to_string()));
    let answer = client.post(app.url("/orders/jobs")).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 303, "{}", answer.text().await.unwrap());
    answer.headers()["location"].to_str().unwrap().to_owned()
}

/// axe's findings on `path` at both sizes, each prefixed with who, where and how wide.
async fn violations_on(browser: &Browser, app: &TestApp, who: &str, path: &str) -> Vec<String> {
    browser.goto(&app.url(path)).await;
    let mut found = Vec::new();
    for (width, height) in WIDTHS {
        browser.emulate_viewport(width, height).await;
        // Let the live streams deliver their first swaps: what they draw is checked too.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let violations = browser.accessibility_violations().await;
        found.extend(
            violations
                .into_iter()
                .map(|v| format!("{who} {path} at {width} px: {v}")),
        );
    }
    found
}

#[tokio::test]
async fn every_screen_passes_axe_at_phone_and_desktop_width_as_every_role_and_signed_out() {
    let Console { app, screens, kiosk } = console().await;
    let mut found = Vec::new();
    let mut checked = 0;

    let browser = Browser::start().await;
    for path in ["/login", kiosk.as_str()] {
        found.extend(violations_on(&browser, &app, "signed out", path).await);
        checked += 1;
    }
    // The check can fail: an unlabelled field and faint text on the same page are found.
    let spoil = "const field = document.createElement('input'); document.querySelector('main').append(field);
        const faint = document.createElement('p'); faint.textContent = 'Faint words on a pale page';
        faint.style.color = '#999'; faint.style.background = '#aaa'; document.querySelector('main').append(faint); return true;";
    browser.client.execute(spoil, vec![]).await.unwrap();
    let spoiled = browser.accessibility_violations().await.join("\n");
    assert!(
        spoiled.contains("label:") && spoiled.contains("color-contrast:"),
        "{spoiled}"
    );
    browser.close().await;

    for role in ROLES {
        let client = app.signed_in(role).await;
        let browser = Browser::start().await;
        browser.sign_in(&app, role).await;
        for path in &screens {
            // Each role is checked on the screens it may open (and on the 404 page).
            let status = client.get(app.url(path)).send().await.unwrap().status().as_u16();
            if status == 200 || path == "/no-such-page" {
                found.extend(violations_on(&browser, &app, role, path).await);
                checked += 1;
            }
        }
        browser.close().await;
    }
    assert!(checked >= 40, "{checked} screens checked");
    assert_eq!(found, Vec::<String>::new(), "axe-core found violations");
}

/// Every control a thumb may need, visible on the page, smaller than 44 × 44 CSS px.
const SMALL_TARGETS: &str = "return [...document.querySelectorAll(
        'main a, main button, main select, main input:not([type=hidden]), main textarea, main summary')]
    .filter(e => e.checkVisibility())
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, box]) => box.width < 44 || box.height < 44)
    .map(([e, box]) => e.tagName + ' \"' + (e.innerText || e.name || '').trim().slice(0, 30) + '\" '
        + Math.round(box.width) + 'x' + Math.round(box.height));";

#[tokio::test]
async fn the_door_screens_have_finger_sized_targets_on_a_phone() {
    let Console { app, .. } = console().await;
    let event = app.fixture.event_a;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let mut small = Vec::new();
    for (role, path) in [
        ("super@a.test", format!("/events/{event}/scans")),
        ("owner@a.test", format!("/events/{event}/scans")),
        ("steward@a.test", format!("/events/{event}/door")),
        ("steward@a.test", format!("/events/{event}/door?code={code}")),
        ("owner@a.test", format!("/events/{event}/kiosk-links")),
    ] {
        let browser = Browser::start().await;
        browser.sign_in(&app, role).await;
        browser.goto(&app.url(&path)).await;
        browser.emulate_viewport(360, 740).await;
        // Open every disclosure: what it holds must be finger-sized too.
        let open = "document.querySelectorAll('main details').forEach(d => d.open = true); return true;";
        browser.client.execute(open, vec![]).await.unwrap();
        let found = browser.client.execute(SMALL_TARGETS, vec![]).await.unwrap();
        let found: Vec<String> = serde_json::from_value(found).unwrap();
        small.extend(found.into_iter().map(|target| format!("{role} {path}: {target}")));
        browser.close().await;
    }
    assert_eq!(small, Vec::<String>::new(), "targets under 44 x 44 px");
}
