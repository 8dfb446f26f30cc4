//! Live screens in Chromium (Debian's, driven through chromedriver; `helpers/browser.rs`):
//! the dashboard, the scan monitor's log, a kiosk and the overview move without a reload,
//! and fit a 360 px phone.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use crate::helpers::browser::Browser;
use crate::helpers::{batch, scan, spawn_app};

#[tokio::test]
async fn a_sale_and_a_scan_are_pushed_into_the_open_dashboard_without_a_reload() {
    let app = spawn_app().await;
    app.sell_tickets_a(1).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.click(Locator::LinkText("Alpha Festival")).await;
    browser.wait_for_element(r#"[data-metric="sold"]"#).await;
    assert_eq!(browser.text(r#"[data-metric="sold"]"#).await, "1");
    // Marks this page load: a reload would lose it.
    browser.mark_page_load().await;
    // Let the SSE connection open before the sale (the page says so once its stream is
    // open; counting the hub's channels no longer tells, since the event list the
    // browser came from streams too and its views close only when the server notices).
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await == "Live" })
        .await;

    let sold = app.sell_tickets_a(2).await;

    browser
        .wait_for(|b| async move { b.text(r#"[data-metric="sold"]"#).await == "3" })
        .await;
    assert_eq!(browser.text(r#"[data-metric="sold-total"]"#).await, "3 / 500");
    assert_eq!(browser.text(r#"[data-metric="gross"]"#).await, "€136.50");

    // A valid scan through the device API moves "inside" by one within 2 s.
    assert_eq!(browser.text(r#"[data-metric="inside"]"#).await, "0");
    let (token, _) = app.device_a("Main").await;
    let scanned = Instant::now();
    let (status, answer) = app
        .post_scans(&token, &batch(vec![scan("dash-1", &sold.ticket_codes[0], "in")]))
        .await;
    assert_eq!((status, answer["results"][0]["result"].as_str()), (200, Some("valid")));
    browser
        .wait_for(|b| async move { b.text(r#"[data-metric="inside"]"#).await == "1" })
        .await;
    assert!(
        scanned.elapsed() < Duration::from_secs(2),
        "took {:?}",
        scanned.elapsed()
    );
    assert_eq!(browser.text(r#"[data-metric="occupancy-percent"]"#).await, "0 %");
    assert!(
        browser.is_same_page_load().await,
        "the updates arrived without a reload"
    );
    assert_eq!(browser.horizontal_overflow().await, 0, "nothing overflows at 360 px");
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn event_list_and_scan_monitor_fit_a_360_px_phone() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    assert_eq!(browser.horizontal_overflow().await, 0, "/events");

    browser
        .goto(&app.url(&format!("/events/{}/scans", app.fixture.event_a)))
        .await;
    browser.wait_for_element(r#"[data-metric="valid"]"#).await;

    assert_eq!(browser.horizontal_overflow().await, 0, "scan monitor");
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

/// The monitor page's own EventSource, in a script: dispatching on it plays a message
/// as the stream would send it.
pub(super) const PAGE_STREAM: &str = "document.querySelector('[sse-connect]')['htmx-internal-data'].sseEventSource";

/// The supervisor's scan monitor, its stream open.
pub(super) async fn monitor_as_supervisor(app: &crate::helpers::TestApp) -> Browser {
    let browser = Browser::start().await;
    browser.sign_in(app, "super@a.test").await;
    browser
        .goto(&app.url(&format!("/events/{}/scans", app.fixture.event_a)))
        .await;
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await == "Live" })
        .await;
    browser
}

/// A redraw of the log and a row right behind it, as the stream sends them after a
/// reconnect: the row lands in the redrawn table (the new table must be listening at once).
#[tokio::test]
async fn a_row_right_behind_a_log_redraw_is_shown() {
    let app = spawn_app().await;
    let browser = monitor_as_supervisor(&app).await;
    // The page's own EventSource delivers both frames in one task, back to back.
    let back_to_back = r#"
        const redraw = document.getElementById('scan-log-table').innerHTML;
        source.dispatchEvent(new MessageEvent('scan-log', { data: redraw }));
        source.dispatchEvent(new MessageEvent('scan-line', { data: '<tr><td>right behind</td></tr>' }));
    "#;
    let back_to_back = format!("const source = {PAGE_STREAM};{back_to_back}");
    browser.client.execute(&back_to_back, vec![]).await.unwrap();
    browser
        .wait_for(|b| async move { b.text("#scan-log tr:first-child").await.contains("right behind") })
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_scan_posted_through_the_api_tops_the_phone_scan_log_within_two_seconds() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let browser = monitor_as_supervisor(&app).await;
    browser.mark_page_load().await;

    let posted = std::time::Instant::now();
    let (status, _) = app
        .post_scans(
            &north,
            &crate::helpers::batch(vec![crate::helpers::scan("phone-1", &code, "in")]),
        )
        .await;
    assert_eq!(status, 200);
    browser
        .wait_for(|b| async move {
            b.client.find(Locator::Css("#scan-log tr:first-child")).await.is_ok()
                && b.text("#scan-log tr:first-child").await.contains("North")
        })
        .await;

    assert!(
        posted.elapsed() < Duration::from_secs(2),
        "shown after {:?}",
        posted.elapsed()
    );
    assert!(browser.text("#scan-log tr:first-child").await.contains("valid"));
    browser
        .wait_for(|b| async move { b.text(r#"[data-metric="valid"]"#).await == "1" })
        .await;
    assert!(browser.is_same_page_load().await, "no reload");
    assert_eq!(browser.horizontal_overflow().await, 0, "nothing overflows at 360 px");

    // A burst of 104 more: the page keeps only the newest 100 rows.
    let burst: Vec<_> = (0..104)
        .map(|n| crate::helpers::scan(&format!("burst-{n}"), "NO-SUCH-CODE", "in"))
        .collect();
    app.post_scans(&north, &crate::helpers::batch(burst)).await;
    let rows = "return document.querySelectorAll('#scan-log tr').length;";
    browser
        .wait_for(|b| async move {
            b.client.execute(rows, vec![]).await.unwrap() == json!(100)
                && b.text("#scan-log tr:first-child").await.contains("invalid")
        })
        .await;
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn a_kiosk_says_stale_while_the_server_is_down_and_goes_live_again_after_restart() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(2).await.ticket_codes;
    let owner = app.signed_in("owner@a.test").await;
    let links = format!("/events/{}/kiosk-links", app.fixture.event_a);
    let token = crate::helpers::csrf_token(&app.page(&owner, &links).await).unwrap();
    let created = owner
        .post(app.url(&links))
        .form(&[("csrf_token", token.as_str()), ("gate", "")])
        .send()
        .await
        .unwrap();
    let created = created.text().await.unwrap();
    let start = created.find("/kiosk/").unwrap();
    let kiosk_path = created[start..].split('"').next().unwrap().to_owned();
    let voelgoed::db::DatabaseUrl::Sqlite(database) = app.services.settings.database.clone() else {
        unreachable!()
    };
    let port = crate::helpers::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let post = |code: String, id: &'static str| {
        let (base, north) = (base.clone(), north.clone());
        async move {
            let body = crate::helpers::batch(vec![crate::helpers::scan(id, &code, "in")]);
            let response = reqwest::Client::new()
                .post(format!("{base}/api/v1/scans"))
                .bearer_auth(north)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    };

    let server = crate::helpers::ServerProcess::start(&database, port).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{base}{kiosk_path}")).await;
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await == "Live" })
        .await;
    post(codes[0].clone(), "k1").await;
    browser
        .wait_for(|b| async move { b.text(r#"[data-metric="occupancy"]"#).await == "1" })
        .await;
    browser.mark_page_load().await;

    server.stop();
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await.starts_with("Connection lost since") })
        .await;
    assert!(browser
        .text("[data-connection]")
        .await
        .contains("numbers are not current"));

    let server = crate::helpers::ServerProcess::start(&database, port).await;
    post(codes[1].clone(), "k2").await;
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await == "Live" })
        .await;
    browser
        .wait_for(|b| async move { b.text(r#"[data-metric="occupancy"]"#).await == "2" })
        .await;

    assert!(browser.is_same_page_load().await, "recovered without a reload");
    browser.close().await;
    server.stop();
}

#[tokio::test]
async fn at_360_px_the_overview_is_cards_without_sideways_scrolling_and_a_scan_moves_its_card_live() {
    let app = spawn_app().await;
    let event = app.fixture.event_a;
    let (north, _) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.goto(&app.url("/events")).await;
    browser.emulate_phone().await;
    browser.wait_for_element(&format!("#overview-{event}")).await;
    browser.mark_page_load().await;
    let inside = format!("#overview-{event} [data-metric=inside]");
    assert_eq!(browser.text(&inside).await.trim(), "0");
    assert_eq!(
        browser.sideways_scrolling().await,
        0,
        "the overview does not scroll sideways"
    );
    let fits = format!(
        "const box = document.querySelector('#overview-{event}').getBoundingClientRect();
         return box.left >= 0 && box.right <= window.innerWidth;"
    );
    assert_eq!(
        browser.client.execute(&fits, vec![]).await.unwrap(),
        true,
        "the card fits the screen"
    );
    // Wait for the stream before the scan, so the push is what moves the number.
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await.trim() != "Connecting…" })
        .await;

    app.post_scans(&north, &batch(vec![scan("overview-phone", &code, "in")]))
        .await;
    let shown = inside.clone();
    browser
        .wait_for(|b| {
            let shown = shown.clone();
            async move { b.text(&shown).await.trim() == "1" }
        })
        .await;
    assert!(browser.is_same_page_load().await, "pushed, not reloaded");
    assert_eq!(browser.sideways_scrolling().await, 0);
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.assert_no_csp_violations().await;
    browser.close().await;
}
