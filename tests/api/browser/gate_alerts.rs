//! The scan monitor on a 360 px phone (Chromium, `Browser::emulate_phone`) with an open
//! gate alert and the arrival chart: both visible, the page does not scroll sideways, and the
//! supervisor acknowledges the alert from the phone.

use std::time::Duration;

use diesel::prelude::*;
use fantoccini::Locator;
use serde_json::json;
use voelgoed::db::schema::audit_log;

use crate::helpers::browser::Browser;
use crate::helpers::{batch, scan, spawn_app_with};

/// Whether the element is on screen: it has a size and lies within the 360 px width.
const VISIBLE: &str = "const e = document.querySelector(arguments[0]); if (!e) return false;
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.left >= 0 && box.right <= window.innerWidth;";

#[tokio::test]
async fn a_supervisor_on_a_phone_sees_the_alert_and_the_arrival_chart_and_acknowledges() {
    let app = spawn_app_with(|s| s.alert_check_every = Duration::from_millis(200)).await;
    let (north, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(5).await.ticket_codes;
    let arrivals = codes
        .iter()
        .enumerate()
        .map(|(i, c)| scan(&format!("in-{i}"), c, "in"))
        .collect();
    app.post_scans(&north, &batch(arrivals)).await;
    let forged = (0..4)
        .map(|i| scan(&format!("fake-{i}"), &format!("FAKE01{i:04}QQ"), "in"))
        .collect();
    app.post_scans(&north, &batch(forged)).await;

    let browser = Browser::start().await;
    browser.sign_in(&app, "super@a.test").await;
    browser.emulate_phone().await;
    browser
        .goto(&app.url(&format!("/events/{}/scans", app.fixture.event_a)))
        .await;
    let alert = r#"#gate-alerts li[data-kind="counterfeit_batch"]"#;
    browser.wait_for_element(alert).await;

    for css in [alert, "#arrivals", "#arrivals svg", r#"#gate-alerts button.ack"#] {
        let shown = browser.client.execute(VISIBLE, vec![json!(css)]).await.unwrap();
        assert_eq!(shown, true, "{css} is visible at 360 px");
    }
    assert!(browser.text(alert).await.contains("Counterfeit batch · Gate North"));
    // The page and its cards: the device table may scroll inside its own box.
    assert_eq!(
        browser.horizontal_overflow().await,
        0,
        "the page does not scroll sideways"
    );

    browser.click(Locator::Css("#gate-alerts button.ack")).await;
    // Read in one step: a later push redraws the list.
    let acknowledged = r#"#gate-alerts li.acknowledged[data-kind="counterfeit_batch"]"#;
    browser
        .wait_for(|b| async move { b.text(acknowledged).await.contains("acknowledged") })
        .await;
    let entries: i64 = app
        .db(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("alert-acknowledged"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(entries, 1, "acknowledged from the phone, audited");
    assert_eq!(browser.horizontal_overflow().await, 0);
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}
