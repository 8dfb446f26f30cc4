//! Real-browser scenarios: Debian's Chromium driven through chromedriver (WebDriver).
//! The README's test command installs both; the browser itself: `helpers/browser.rs`.

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

#[tokio::test]
async fn a_scan_posted_through_the_api_tops_the_phone_scan_log_within_two_seconds() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let browser = Browser::start().await;
    browser.sign_in(&app, "super@a.test").await;
    browser
        .goto(&app.url(&format!("/events/{}/scans", app.fixture.event_a)))
        .await;
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await == "Live" })
        .await;
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

/// How many order rows the list shows.
async fn order_rows(browser: &Browser) -> usize {
    browser
        .client
        .find_all(Locator::Css("tr[data-order]"))
        .await
        .map_or(0, |rows| rows.len())
}

async fn current_query(browser: &Browser) -> String {
    browser
        .client
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn typing_a_buyer_email_filters_the_list_into_the_url_and_back_restores_it() {
    let app = spawn_app().await;
    let now = voelgoed::db::now_ms();
    crate::helpers::orders::place_a(&app, ("Anna de Vries", "anna@example.test"), 1, now).await;
    let bram = crate::helpers::orders::place_a(&app, ("Bram Jansen", "bram.jansen@example.test"), 2, now + 1).await;
    crate::helpers::orders::place_a(&app, ("Chloé Bakker", "chloe@example.test"), 1, now + 2).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.goto(&app.url("/orders")).await;
    browser.wait_for(|b| async move { order_rows(b).await == 3 }).await;
    browser.mark_page_load().await;

    browser.fill(r#"input[name="q"]"#, "bram.jan").await;

    browser.wait_for(|b| async move { order_rows(b).await == 1 }).await;
    assert!(browser.text("tr[data-order]").await.contains(&bram.code));
    browser
        .wait_for(|b| async move { current_query(b).await.contains("q=bram.jan") })
        .await;
    assert!(browser.is_same_page_load().await, "only the rows were swapped");

    browser.client.back().await.unwrap();
    browser.wait_for(|b| async move { order_rows(b).await == 3 }).await;
    assert!(!current_query(&browser).await.contains("q="));
    assert_eq!(browser.horizontal_overflow().await, 0, "nothing overflows at 360 px");
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn load_more_appends_the_next_orders_when_scrolled_into_view() {
    let app = spawn_app().await;
    let now = voelgoed::db::now_ms();
    for n in 0..120 {
        crate::helpers::orders::place_a(&app, ("Many Buyer", "many@example.test"), 1, now - n).await;
    }
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.goto(&app.url("/orders")).await;
    browser.wait_for(|b| async move { order_rows(b).await == 50 }).await;
    browser.mark_page_load().await;

    let scroll = "document.getElementById('load-more').scrollIntoView(); return true;";
    browser.client.execute(scroll, vec![]).await.unwrap();
    browser.wait_for(|b| async move { order_rows(b).await == 100 }).await;
    browser.client.execute(scroll, vec![]).await.unwrap();
    browser.wait_for(|b| async move { order_rows(b).await == 120 }).await;

    assert!(
        browser.client.find(Locator::Id("load-more")).await.is_err(),
        "no more to load"
    );
    assert!(browser.is_same_page_load().await);
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn a_new_order_appears_on_top_of_the_open_list_without_moving_the_rows_being_read() {
    let app = spawn_app().await;
    let now = voelgoed::db::now_ms();
    for n in 0..40 {
        crate::helpers::orders::place_a(&app, ("Anna", "anna@example.test"), 1, now - 40 + n).await;
    }
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.goto(&app.url("/orders")).await;
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await == "Live" })
        .await;
    browser.mark_page_load().await;
    // The organiser has scrolled down to the 20th order and is reading it.
    let reading = "const row = document.querySelectorAll('tr[data-order]')[arguments[0]];
                   if (arguments[1]) row.scrollIntoView();
                   return [row.getAttribute('data-order'), Math.round(row.getBoundingClientRect().top)];";
    let before = browser
        .client
        .execute(reading, vec![json!(19), json!(true)])
        .await
        .unwrap();

    let order = app.sell_tickets_a(2).await;
    app.services.bus.publish(voelgoed::live::Update {
        channel: voelgoed::live::Channel::orders(&app.fixture.org_a),
        kind: voelgoed::live::UpdateKind::OrderChanged,
    });

    browser.wait_for(|b| async move { order_rows(b).await == 41 }).await;
    assert!(browser.text("tr[data-order]").await.contains(&order.code), "on top");
    // The same order is now the 21st row, and it has not moved on the screen.
    let after = browser
        .client
        .execute(reading, vec![json!(20), json!(false)])
        .await
        .unwrap();
    assert_eq!(after[0], before[0]);
    let moved = after[1].as_i64().unwrap() - before[1].as_i64().unwrap();
    assert!(
        moved.abs() <= 2,
        "the row being read stays where it was (moved {moved} px)"
    );
    assert!(browser.is_same_page_load().await);
    browser.close().await;
}

#[tokio::test]
async fn a_refund_through_the_confirmation_step_shows_refunded_and_the_gate_refuses_the_ticket() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let order = crate::helpers::orders::place_a(&app, ("Anna", "anna@example.test"), 1, voelgoed::db::now_ms()).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.goto(&app.url(&format!("/orders/{}", order.id))).await;
    assert_eq!(browser.text("h1 [data-status]").await, "paid");

    browser.click(Locator::Css(r#"button[value="all"]"#)).await;
    browser.wait_for_element("[data-confirm-refund]").await;
    assert!(browser.text("h1").await.contains("€45.50"));
    // The reason is required: the browser does not send the form without one.
    browser.click(Locator::Css("[data-confirm-refund]")).await;
    assert_eq!(app.count("refunds").await, 0, "no reason, no refund");
    browser
        .client
        .find(Locator::Css(r#"select[name="reason"]"#))
        .await
        .unwrap()
        .select_by_value("buyer_request")
        .await
        .unwrap();
    browser.fill(r#"textarea[name="note"]"#, "Asked by phone").await;
    browser.click(Locator::Css("[data-confirm-refund]")).await;

    browser
        .wait_for(|b| async move { b.text("h1 [data-status]").await == "refunded" })
        .await;
    let (_, answer) = app
        .post_scans(
            &north,
            &crate::helpers::batch(vec![crate::helpers::scan("refunded-1", &order.ticket_codes[0], "in")]),
        )
        .await;
    assert_eq!(answer["results"][0]["result"], "invalid");
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn without_javascript_the_order_filter_form_still_works() {
    let app = spawn_app().await;
    let now = voelgoed::db::now_ms();
    crate::helpers::orders::place_a(&app, ("Anna de Vries", "anna@example.test"), 1, now).await;
    let bram = crate::helpers::orders::place_a(&app, ("Bram Jansen", "bram@example.test"), 1, now + 1).await;
    let browser = Browser::start_without_javascript().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.goto(&app.url("/orders")).await;
    assert_eq!(order_rows(&browser).await, 2);

    browser.fill(r#"input[name="q"]"#, "bram@").await;
    browser
        .click(Locator::Css(r#"#order-filter button[type="submit"]"#))
        .await;

    browser
        .wait_for(|b| async move { current_query(b).await.contains("q=bram%40") })
        .await;
    assert_eq!(order_rows(&browser).await, 1);
    let row = browser
        .client
        .find(Locator::Css("tr[data-order]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains(&bram.code));
    let status = browser
        .client
        .find(Locator::Css("[data-connection]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Connecting…", "no script ran: the page is plain HTML");
    browser.close().await;
}

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

/// A filter the server refuses says why in the page's flash area, leaves the shown
/// orders as they were, and the next accepted filter clears the message.
#[tokio::test]
async fn a_refused_filter_says_why_in_the_flash_area_and_the_next_good_one_clears_it() {
    let app = spawn_app().await;
    let now = voelgoed::db::now_ms();
    crate::helpers::orders::place_a(&app, ("Anna de Vries", "anna@example.test"), 1, now).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.goto(&app.url("/orders")).await;
    browser.mark_page_load().await;
    let set_dates = |from: &'static str, to: &'static str| {
        let script = format!(
            r#"const form = document.getElementById("order-filter");
               form.querySelector('[name="from"]').value = "{from}";
               form.querySelector('[name="to"]').value = "{to}";
               form.querySelector('[name="to"]').dispatchEvent(new Event("input", {{ bubbles: true }}));"#
        );
        let client = browser.client.clone();
        async move { client.execute(&script, vec![]).await.unwrap() }
    };

    set_dates("2026-12-10", "2026-12-01").await;
    browser
        .wait_for(|b| async move { b.text("#flash").await.contains("The from date is after the to date.") })
        .await;
    assert_eq!(order_rows(&browser).await, 1, "the orders shown stay");
    assert!(browser.is_same_page_load().await, "no navigation to an error page");

    set_dates("", "").await;
    browser
        .wait_for(|b| async move { b.text("#flash").await.is_empty() })
        .await;
    assert_eq!(order_rows(&browser).await, 1);
    browser.assert_no_csp_violations().await;
    browser.close().await;
}

#[tokio::test]
async fn a_bulk_resend_started_in_the_browser_shows_its_progress_bar_reach_done() {
    let app = spawn_app().await;
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    let n = 3 * voelgoed::orders::bulk::CHUNK;
    app.db(move |conn| {
        let tt = voelgoed::provisioning::create_ticket_type(conn, &tenant, event, "Bulk", 1_000, 10_000).unwrap();
        for i in 0..n {
            let order = voelgoed::orders::NewOrder {
                event_id: event,
                buyer_name: format!("Bulk Buyer {i}"),
                buyer_email: format!("bulk{i}@example.test"),
                items: vec![voelgoed::orders::OrderItem::new(tt, 1)],
                created_at: voelgoed::db::now_ms() - i * 1_000,
            };
            voelgoed::orders::place_order(conn, &tenant, &order).unwrap().unwrap();
        }
    })
    .await;
    let browser = Browser::start().await;
    // Finance: a supervisor's bulk resends are held to their 10 per 10 minutes.
    browser.sign_in(&app, "finance@a.test").await;
    browser.goto(&app.url("/orders")).await;
    browser.wait_for_element("#bulk-form").await;
    browser.click(Locator::Css("details.bulk-actions summary")).await;
    assert_eq!(browser.text("[data-matching]").await, n.to_string());

    browser
        .click(Locator::Css(r#"#bulk-form input[name="scope"][value="filter"]"#))
        .await;
    browser.click(Locator::Css(r#"#bulk-form button[type="submit"]"#)).await;

    browser.wait_for_element("progress#job-bar").await;
    assert!(browser
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/orders/jobs/"));
    browser
        .wait_for(|b| async move { b.text("#job-progress-text").await.ends_with("(100 %): done") })
        .await;
    let bar = browser
        .client
        .execute(
            "const bar = document.querySelector('#job-bar'); return [bar.tagName, bar.value, bar.max];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(bar, json!(["PROGRESS", n, n]));
    assert!(browser
        .text(r#"[data-outcome="done"]"#)
        .await
        .starts_with(&n.to_string()));
    assert_eq!(app.count("email_outbox").await, n);
    assert_eq!(
        browser.horizontal_overflow().await,
        0,
        "the job page fits a 360 px phone"
    );
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.assert_no_csp_violations().await;
    browser.close().await;
}

/// Where the `index`-th order row is: its order id and its top on the screen (px).
async fn row_at(browser: &Browser, index: usize, scroll_to_it: bool) -> (String, i64) {
    let script = "const row = document.querySelectorAll('tr[data-order]')[arguments[0]];
                  if (arguments[1]) row.scrollIntoView();
                  return [row.getAttribute('data-order'), Math.round(row.getBoundingClientRect().top)];";
    let found = browser
        .client
        .execute(script, vec![json!(index), json!(scroll_to_it)])
        .await
        .unwrap();
    (found[0].as_str().unwrap().to_owned(), found[1].as_i64().unwrap())
}

#[tokio::test]
async fn a_refund_redraws_its_row_in_place_in_an_open_list_without_moving_the_reader() {
    let app = spawn_app().await;
    let now = voelgoed::db::now_ms();
    let mut orders = Vec::new();
    for n in 0..40 {
        orders.push(crate::helpers::orders::place_a(&app, ("Anna", "anna@example.test"), 1, now - 40 + n).await);
    }
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser.goto(&app.url("/orders")).await;
    browser
        .wait_for(|b| async move { b.text("[data-connection]").await == "Live" })
        .await;
    browser.mark_page_load().await;
    // The organiser has scrolled down to the 20th order and is reading it.
    let (id, top) = row_at(&browser, 19, true).await;
    let order = orders.iter().find(|o| o.id.to_string() == id).unwrap();
    let status = format!("#order-{id} [data-status]");

    let owner = app.signed_in("owner@a.test").await;
    let response = crate::helpers::orders::refund_through_confirmation(&app, &owner, order.id, "scope=all").await;
    assert_eq!(response.status(), 303);

    browser
        .wait_for(|b| {
            let status = status.clone();
            async move { b.text(&status).await == "refunded" }
        })
        .await;
    let (same, top_after) = row_at(&browser, 19, false).await;
    assert_eq!(same, id, "the row was replaced where it was");
    assert!(
        (top_after - top).abs() <= 2,
        "the reader's row stays put (moved {} px)",
        top_after - top
    );
    assert_eq!(order_rows(&browser).await, 40, "no row added or lost");
    assert!(browser.is_same_page_load().await);
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn at_360_px_the_order_list_is_cards_and_the_order_page_reads_without_sideways_scrolling() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let buyer = (
        "Maximiliaan van Oldenbarnevelt-Verhoeven",
        "maximiliaan.vanoldenbarnevelt@voorbeeld-bedrijf.example.test",
    );
    let order = crate::helpers::orders::place_a(&app, buyer, 3, voelgoed::db::now_ms()).await;
    app.post_scans(&north, &batch(vec![scan("phone-1", &order.ticket_codes[0], "in")]))
        .await;
    let owner = app.signed_in("owner@a.test").await;
    assert_eq!(
        crate::helpers::orders::resend(&app, &owner, order.id).await.status(),
        303
    );
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;

    browser.goto(&app.url("/orders")).await;
    browser.wait_for(|b| async move { order_rows(b).await == 1 }).await;
    let card = "const row = document.querySelector('tr[data-order]');
                const shown = [...row.cells].filter(c => getComputedStyle(c).display !== 'none')
                                           .map(c => c.getAttribute('data-label'));
                const box = row.getBoundingClientRect();
                return [getComputedStyle(row).display, shown, box.left >= 0 && box.right <= window.innerWidth,
                        document.querySelector('table.orders').getAttribute('role'),
                        getComputedStyle(document.querySelector('table.orders thead')).position];";
    browser.emulate_phone().await;
    let at_360 = browser.client.execute(card, vec![]).await.unwrap();

    assert_eq!(at_360[0], "block", "each order is a card");
    assert_eq!(at_360[1], json!(["Code", "Buyer", "Event", "Total", "Status"]));
    assert_eq!(at_360[2], true, "the card fits the screen");
    assert_eq!(at_360[3], "table", "still a table to a screen reader");
    assert_eq!(at_360[4], "absolute", "the headings are visually hidden, not removed");
    assert_eq!(
        browser.sideways_scrolling().await,
        0,
        "the list does not scroll sideways"
    );

    browser.goto(&app.url(&format!("/orders/{}", order.id))).await;
    browser.wait_for_element("tr[data-ticket]").await;
    assert_eq!(
        browser.sideways_scrolling().await,
        0,
        "the order page does not scroll sideways"
    );
    assert!(browser.text("table.tickets").await.contains("in at North"));

    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;

    let desktop = Browser::start().await;
    desktop.sign_in(&app, "owner@a.test").await;
    desktop.client.set_window_size(1280, 800).await.unwrap();
    desktop.goto(&app.url("/orders")).await;
    desktop.wait_for(|b| async move { order_rows(b).await == 1 }).await;
    let wide = desktop.client.execute(card, vec![]).await.unwrap();
    assert_eq!(wide[0], "table-row", "wide screens keep the table");
    desktop.close().await;
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
