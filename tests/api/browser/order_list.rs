//! The order list in Chromium: filters kept in the URL, load more, new and refunded rows
//! drawn in place without moving the reader, refunds through the confirmation step, a
//! refused filter's message, a bulk job's progress, no-JavaScript and 360 px.

use fantoccini::Locator;
use serde_json::json;

use crate::helpers::browser::Browser;
use crate::helpers::{batch, scan, spawn_app};

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
