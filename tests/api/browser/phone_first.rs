//! The supervisor's phone first (issue 27), in Chromium at a real 360 × 740 viewport:
//! the monitor's first screen holds inside / capacity, scans per minute, the open alerts
//! and every gate's state, and the page is at most three screens tall; the dashboard
//! puts occupancy, then alerts, then sales; every chart spans its card and none of its
//! text renders below 11 CSS px; the order list's bulk actions wait behind one
//! collapsed control, with each radio button level with its words.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{json, Value};

use crate::helpers::browser::Browser;
use crate::helpers::{batch, scan, spawn_app_with, TestApp};

const PHONE: (u32, u32) = (360, 740);
const GATES: [&str; 4] = ["North", "South", "East", "West"];

/// An event in full swing: four gates with a scanner each, 120 people admitted (more
/// than the log's 100 rows), and forged codes at North that raise a gate alert.
async fn busy_event() -> TestApp {
    let app = spawn_app_with(|s| s.alert_check_every = Duration::from_millis(200)).await;
    let mut devices = Vec::new();
    for gate in GATES {
        devices.push(app.device_a(gate).await.0);
    }
    let mut codes = Vec::new();
    for _ in 0..12 {
        codes.extend(app.sell_tickets_a(10).await.ticket_codes);
    }
    for (i, code) in codes.iter().enumerate() {
        let device = &devices[i % devices.len()];
        app.post_scans(device, &batch(vec![scan(&format!("in-{i}"), code, "in")]))
            .await;
    }
    let forged = (0..4)
        .map(|i| scan(&format!("fake-{i}"), &format!("FAKE01{i:04}QQ"), "in"))
        .collect();
    app.post_scans(&devices[0], &batch(forged)).await;
    app
}

/// For each selector: whether every match lies wholly inside the first viewport.
const IN_FIRST_SCREEN: &str = "return arguments[0].map(css => {
        const found = [...document.querySelectorAll(css)];
        const inside = found.every(e => { const b = e.getBoundingClientRect();
            return b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight; });
        return [css, found.length, inside];
    });";

/// Text smaller than 11 CSS px inside a chart or gauge, text drawn inside a chart's
/// SVG (it would shrink with the card), and charts narrower than their card.
const CHART_PROBLEMS: &str = "const problems = [];
    for (const figure of document.querySelectorAll('figure.chart, .occupancy, .live-event')) {
        if (figure.querySelector('svg text')) problems.push('SVG text in ' + figure.className);
        const svg = figure.matches('figure.chart') ? figure.querySelector('svg') : null;
        if (svg && svg.getBoundingClientRect().width < figure.parentElement.clientWidth - 1)
            problems.push(figure.className + ' is ' + svg.getBoundingClientRect().width + ' px of ' + figure.parentElement.clientWidth);
        const walker = document.createTreeWalker(figure, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const text = walker.currentNode, size = parseFloat(getComputedStyle(text.parentElement).fontSize);
            if (text.textContent.trim() && size < 11) problems.push(text.textContent.trim() + ' at ' + size + ' px');
        }
    }
    return [document.querySelectorAll('figure.chart').length, problems];";

/// Chromium signed in as `who`, at `path`, at a real 360 × 740 viewport.
async fn on_a_phone(app: &TestApp, who: &str, path: &str) -> Browser {
    let browser = Browser::start().await;
    browser.sign_in(app, who).await;
    browser.goto(&app.url(path)).await;
    browser.emulate_viewport(PHONE.0, PHONE.1).await;
    browser
}

async fn first_screen(browser: &Browser, selectors: &[&str]) -> Vec<Value> {
    let found = browser
        .client
        .execute(IN_FIRST_SCREEN, vec![json!(selectors)])
        .await
        .unwrap();
    found.as_array().unwrap().clone()
}

async fn page_height(browser: &Browser) -> i64 {
    let height = browser
        .client
        .execute("return document.documentElement.scrollHeight;", vec![]);
    height.await.unwrap().as_i64().unwrap()
}

async fn chart_problems(browser: &Browser) -> (u64, Vec<String>) {
    let found = browser.client.execute(CHART_PROBLEMS, vec![]).await.unwrap();
    (
        found[0].as_u64().unwrap(),
        serde_json::from_value(found[1].clone()).unwrap(),
    )
}

async fn visible_log_rows(browser: &Browser) -> i64 {
    let script = "return [...document.querySelectorAll('#scan-log tr')].filter(r => r.offsetParent !== null).length;";
    browser.client.execute(script, vec![]).await.unwrap().as_i64().unwrap()
}

#[tokio::test]
async fn at_360_px_the_monitors_first_screen_answers_the_supervisor_and_history_waits_below() {
    let app = busy_event().await;
    let browser = on_a_phone(&app, "super@a.test", &format!("/events/{}/scans", app.fixture.event_a)).await;
    browser
        .wait_for_element(r#"#gate-alerts li[data-kind="counterfeit_batch"]"#)
        .await;

    let wanted = [
        r#"[data-metric="occupancy"]"#,
        r#"[data-metric="per-minute"]"#,
        "#gate-alerts li",
        "#gate-states [data-gate]",
    ];
    for found in first_screen(&browser, &wanted).await {
        assert!(found[1].as_u64().unwrap() > 0, "{found} is on the page");
        assert_eq!(found[2], true, "{found}: in the first 740 px");
    }
    assert_eq!(browser.text(r#"[data-metric="occupancy"]"#).await, "120");
    assert!(browser.text(r#"[data-gate="North"]"#).await.contains("1 of 1 online"));
    let height = page_height(&browser).await;
    assert!(
        height <= 3 * 740,
        "the monitor is {height} px tall: more than three screens"
    );
    assert_eq!(browser.horizontal_overflow().await, 0);

    // History waits: 20 rows of the log show, the devices are behind their disclosure.
    assert_eq!(visible_log_rows(&browser).await, 20);
    let devices_shown = "return document.querySelector('#device-table').checkVisibility();";
    assert_eq!(browser.client.execute(devices_shown, vec![]).await.unwrap(), false);
    browser.click(Locator::Css("details.older-scans summary")).await;
    assert_eq!(visible_log_rows(&browser).await, 100, "the kept rows open on demand");
    browser.click(Locator::Css("details.devices-disclosure summary")).await;
    assert_eq!(browser.client.execute(devices_shown, vec![]).await.unwrap(), true);
    assert!(browser.text("#device-table").await.contains("North scanner"));

    let (charts, problems) = chart_problems(&browser).await;
    assert_eq!(charts, 1, "the arrivals chart is drawn");
    assert_eq!(problems, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn at_360_px_an_owners_monitor_keeps_the_entry_rule_behind_a_disclosure_and_the_page_short() {
    let app = busy_event().await;
    let browser = on_a_phone(&app, "owner@a.test", &format!("/events/{}/scans", app.fixture.event_a)).await;
    browser.wait_for_element("#gate-alerts li").await;

    let form_shown = "return document.querySelector('#entry-policy').checkVisibility();";
    assert_eq!(browser.client.execute(form_shown, vec![]).await.unwrap(), false);
    let height = page_height(&browser).await;
    assert!(height <= 3 * 740, "the owner's monitor is {height} px tall");
    browser
        .click(Locator::Css("details.entry-rule-disclosure summary"))
        .await;
    assert_eq!(browser.client.execute(form_shown, vec![]).await.unwrap(), true);
    browser.close().await;
}

#[tokio::test]
async fn at_360_px_the_dashboard_puts_occupancy_then_alerts_then_sales_and_its_charts_read() {
    let app = busy_event().await;
    let browser = on_a_phone(&app, "owner@a.test", &format!("/events/{}", app.fixture.event_a)).await;
    browser.wait_for_element("#arrivals-chart svg").await;

    let tops = "return arguments[0].map(css => document.querySelector(css).getBoundingClientRect().top);";
    let order = ["#occupancy", "#alerts", "#ticket-sales", "#revenue", "#sales-chart"];
    let tops = browser.client.execute(tops, vec![json!(order)]).await.unwrap();
    let tops: Vec<f64> = serde_json::from_value(tops).unwrap();
    assert!(tops.windows(2).all(|pair| pair[0] <= pair[1]), "{order:?} at {tops:?}");
    let found = first_screen(&browser, &[r#"[data-metric="inside"]"#]).await;
    assert_eq!(found[0][2], true, "occupancy is on the first screen");

    let (charts, problems) = chart_problems(&browser).await;
    assert_eq!(charts, 2, "the sales chart and the arrivals chart");
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(browser.horizontal_overflow().await, 0);
    browser.close().await;
}

/// Each radio button's middle against its words' first line: how far apart, in px.
const RADIO_OFFSETS: &str = "return [...document.querySelectorAll('details.bulk-actions label.choice')].map(label => {
        const radio = label.querySelector('input').getBoundingClientRect();
        const words = label.querySelector('span').getClientRects()[0];
        return Math.abs((radio.top + radio.bottom) / 2 - (words.top + words.bottom) / 2);
    });";

#[tokio::test]
async fn at_360_px_the_order_lists_bulk_actions_wait_behind_one_collapsed_control() {
    let app = busy_event().await;
    let browser = on_a_phone(&app, "owner@a.test", "/orders").await;

    let state = "const d = document.querySelector('details.bulk-actions');
        return [d.open, d.querySelector('summary').innerText.trim(),
                document.querySelector('#bulk-form select[name=action]').checkVisibility(),
                d.getBoundingClientRect().top < document.querySelector('table.orders').getBoundingClientRect().top];";
    let closed = browser.client.execute(state, vec![]).await.unwrap();
    assert_eq!(
        closed,
        json!([false, "Bulk actions", false, true]),
        "collapsed, above the list"
    );

    browser.click(Locator::Css("details.bulk-actions summary")).await;
    let open = browser.client.execute(state, vec![]).await.unwrap();
    assert_eq!(open[0], true);
    assert_eq!(open[2], true, "opening it shows the form");
    let offsets: Vec<f64> =
        serde_json::from_value(browser.client.execute(RADIO_OFFSETS, vec![]).await.unwrap()).unwrap();
    assert_eq!(offsets.len(), 2, "two choices of scope");
    assert!(
        offsets.iter().all(|&off| off <= 3.0),
        "radios level with their labels: {offsets:?}"
    );
    assert_eq!(browser.horizontal_overflow().await, 0);
    browser.close().await;
}
