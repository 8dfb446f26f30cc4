//! The order list (filters, free text, keyset pages, htmx fragments, live rows) and the
//! CSV export, the same on PostgreSQL (the order helpers: `helpers/orders.rs`). One
//! order's page and refunds: `order_refunds.rs`; e-mails: `order_emails.rs`.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db;
use voelgoed::db::schema::{orders, tickets, users};
use voelgoed::live::{Channel, Update, UpdateKind};
use voelgoed::orders::outbox::RetryPolicy;

use crate::helpers::orders::{
    codes_in, href_of, order_row, place_a, reviewed_refund, ticket_ids, HOUR, NOV_25_0030_AMSTERDAM,
};
use crate::helpers::orders::{resend, wait_for_email_status};
use crate::helpers::smtp::{Behaviour, SmtpServer};
use crate::helpers::{spawn_app, text_of};

#[tokio::test]
async fn the_list_shows_code_buyer_event_tickets_total_status_and_time_newest_first() {
    let app = spawn_app().await;
    let older = place_a(&app, ("Anna de Vries", "anna@example.test"), 2, NOV_25_0030_AMSTERDAM).await;
    let newer = place_a(
        &app,
        ("Bram Jansen", "bram@example.test"),
        1,
        NOV_25_0030_AMSTERDAM + HOUR,
    )
    .await;
    let client = app.signed_in("owner@a.test").await;

    let page = app.page(&client, "/orders").await;

    assert_eq!(codes_in(&page), vec![newer.code.clone(), older.code.clone()]);
    let row = text_of(&page, &format!(r#"tr[data-order="{}"]"#, older.id)).unwrap();
    for expected in [
        "Anna de Vries",
        "anna@example.test",
        "Alpha Festival",
        "2",
        "€91.00",
        "paid",
        "25 Nov 2026 00:30",
    ] {
        assert!(row.contains(expected), "{expected} in {row}");
    }
}

#[tokio::test]
async fn free_text_finds_orders_by_code_email_or_name_prefix_in_any_case() {
    let app = spawn_app().await;
    let anna = place_a(
        &app,
        ("Anna de Vries", "anna.devries@example.test"),
        1,
        NOV_25_0030_AMSTERDAM,
    )
    .await;
    let bram = place_a(
        &app,
        ("Bram Jansen", "b.jansen@example.test"),
        1,
        NOV_25_0030_AMSTERDAM + 1,
    )
    .await;
    let client = app.signed_in("owner@a.test").await;
    let search = |q: &str| {
        let path = format!("/orders?q={}", q.replace(' ', "+"));
        let client = client.clone();
        let app = &app;
        async move { codes_in(&app.page(&client, &path).await) }
    };

    assert_eq!(
        search("ANNA.DEV").await,
        vec![anna.code.clone()],
        "e-mail prefix, any case"
    );
    assert_eq!(search("bram j").await, vec![bram.code.clone()], "name prefix");
    assert_eq!(
        search(&anna.code[..6].to_lowercase()).await,
        vec![anna.code.clone()],
        "code prefix"
    );
    assert_eq!(search(&bram.code).await, vec![bram.code.clone()], "whole code");
    assert_eq!(
        search(&anna.code[3..9]).await,
        vec![anna.code.clone()],
        "code without its VG- prefix"
    );
    assert_eq!(
        search("vg-").await.len(),
        0,
        "the prefix every code shares is no search"
    );
    assert!(search("zzz").await.is_empty());
}

#[tokio::test]
async fn status_event_and_dates_in_the_organisations_timezone_combine() {
    let app = spawn_app().await;
    let on_25th = place_a(&app, ("Anna", "anna@example.test"), 1, NOV_25_0030_AMSTERDAM).await;
    // 23:30 on the 24th in Amsterdam.
    let on_24th = place_a(&app, ("Anna", "anna2@example.test"), 1, NOV_25_0030_AMSTERDAM - HOUR).await;
    let refunded = place_a(&app, ("Anna", "anna3@example.test"), 1, NOV_25_0030_AMSTERDAM + HOUR).await;
    app.db(move |conn| {
        diesel::update(orders::table.find(refunded.id))
            .set(orders::status.eq("refunded"))
            .execute(conn)
            .unwrap()
    })
    .await;
    let client = app.signed_in("owner@a.test").await;
    let event = app.fixture.event_a;

    let day = codes_in(&app.page(&client, "/orders?from=2026-11-25&to=2026-11-25").await);
    assert_eq!(day, vec![refunded.code.clone(), on_25th.code.clone()]);
    let paid_that_day = app
        .page(
            &client,
            &format!("/orders?status=paid&event={event}&from=2026-11-25&to=2026-11-25&q=anna"),
        )
        .await;
    assert_eq!(codes_in(&paid_that_day), vec![on_25th.code.clone()]);
    let before = codes_in(&app.page(&client, "/orders?to=2026-11-24").await);
    assert_eq!(before, vec![on_24th.code.clone()]);
    let other_event = codes_in(
        &app.page(&client, &format!("/orders?event={}", app.fixture.event_b))
            .await,
    );
    assert!(other_event.is_empty(), "another organisation's event id shows nothing");
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats_while_orders_arrive() {
    let app = spawn_app().await;
    let mut expected = Vec::new();
    for n in 0..120 {
        // Pairs share a timestamp: the id breaks the tie.
        let order = place_a(
            &app,
            ("Paging Buyer", "paging@example.test"),
            1,
            NOV_25_0030_AMSTERDAM + n / 2,
        )
        .await;
        expected.push(order.code);
    }
    expected.reverse();
    let client = app.signed_in("owner@a.test").await;

    let mut seen = Vec::new();
    let mut page = app.page(&client, "/orders").await;
    loop {
        seen.extend(codes_in(&page));
        // New orders keep arriving while the reader pages.
        place_a(&app, ("Late Buyer", "late@example.test"), 1, db::now_ms()).await;
        let Some(next) = href_of(&page, "#load-more a") else {
            break;
        };
        page = app.page(&client, &next).await;
    }

    let late_seen = seen.iter().filter(|c| !expected.contains(c)).count();
    assert_eq!(
        late_seen, 0,
        "orders placed after the first page do not enter later pages"
    );
    assert_eq!(seen, expected, "every order once, newest first");
}

#[tokio::test]
async fn htmx_gets_the_results_for_a_filter_and_only_the_next_rows_for_load_more() {
    let app = spawn_app().await;
    for n in 0..60 {
        place_a(&app, ("Row Buyer", "rows@example.test"), 1, NOV_25_0030_AMSTERDAM + n).await;
    }
    let client = app.signed_in("owner@a.test").await;

    let results = client
        .get(app.url("/orders?q=row"))
        .header("HX-Request", "true")
        .header("HX-Target", "order-results")
        .send()
        .await
        .unwrap();
    assert_eq!(results.headers()["vary"], "HX-Request");
    let results = results.text().await.unwrap();
    assert!(
        results.trim_start().starts_with(r#"<div id="order-results""#),
        "{results:.200}"
    );
    assert!(!results.contains("<html"), "a fragment, not a page");
    assert_eq!(codes_in(&results).len(), 50);
    let next = href_of(&results, "#load-more a").unwrap();
    assert!(next.contains("q=row") && next.contains("after="), "{next}");

    let more = client
        .get(app.url(&next))
        .header("HX-Request", "true")
        .header("HX-Target", "load-more")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(more.trim_start().starts_with("<tr"), "rows only: {more:.200}");
    assert_eq!(codes_in(&format!("<table>{more}</table>")).len(), 10);
    assert!(href_of(&format!("<table>{more}</table>"), "#load-more a").is_none());

    let restore = client
        .get(app.url("/orders?q=row"))
        .header("HX-Request", "true")
        .header("HX-History-Restore-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(restore.contains("<html"), "a history restore gets the whole page");
}

#[tokio::test]
async fn a_new_order_that_matches_the_filter_is_pushed_to_an_open_list() {
    let app = spawn_app().await;
    place_a(&app, ("Early Bird", "early@example.test"), 1, db::now_ms()).await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, "/orders?q=match").await;
    let html = scraper::Html::parse_document(&page);
    let selector = scraper::Selector::parse("[sse-connect]").unwrap();
    let stream_url = html
        .select(&selector)
        .next()
        .unwrap()
        .value()
        .attr("sse-connect")
        .unwrap()
        .to_owned();
    let mut stream = client.get(app.url(&stream_url)).send().await.unwrap();
    assert_eq!(stream.status(), 200);

    let other = place_a(&app, ("Someone Else", "else@example.test"), 1, db::now_ms()).await;
    let matching = place_a(&app, ("Matching Buyer", "match@example.test"), 2, db::now_ms()).await;
    app.services.bus.publish(Update {
        channel: Channel::orders(&app.fixture.org_a),
        kind: UpdateKind::OrderChanged,
    });

    let mut received = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !received.contains(&matching.code) {
        let chunk = tokio::time::timeout_at(deadline.into(), stream.chunk())
            .await
            .expect("the new order arrives in time")
            .unwrap()
            .unwrap();
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(received.contains("event: order-rows"));
    assert!(
        received.contains(&format!("id: {}", matching.id)),
        "the SSE id is the newest order looked at"
    );
    assert!(
        !received.contains(&other.code),
        "orders outside the filter are not pushed"
    );
}

#[tokio::test]
async fn the_csv_export_has_a_row_per_ticket_with_codes_under_the_same_filter() {
    let app = spawn_app().await;
    let anna = place_a(&app, ("=Anna", "anna@example.test"), 2, NOV_25_0030_AMSTERDAM).await;
    let bram = place_a(&app, ("Bram", "bram@example.test"), 1, NOV_25_0030_AMSTERDAM + 1).await;
    let client = app.signed_in("owner@a.test").await;

    let response = client.get(app.url("/orders.csv?q=anna")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "order_code");
    assert_eq!(&headers[6], "ticket_code");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();

    assert_eq!(rows.len(), 2, "one row per ticket of the matching order");
    let mut codes: Vec<&str> = rows.iter().map(|r| &r[6]).collect();
    codes.sort();
    let mut expected: Vec<&str> = anna.ticket_codes.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(codes, expected);
    assert_eq!(&rows[0][0], anna.code);
    assert_eq!(&rows[0][1], "2026-11-25T00:30:00+01:00");
    assert_eq!(&rows[0][3], "'=Anna", "a formula is defused");
    assert_eq!(&rows[0][9], "45.50");
    assert!(!body.contains(&bram.code));

    let all = app.page(&client, "/orders.csv").await;
    assert_eq!(all.lines().count(), 1 + 3);
}

#[tokio::test]
async fn a_large_export_streams_every_ticket_across_pages() {
    let app = spawn_app().await;
    app.bulk_seed(2_500, 1).await;
    let tickets_seeded: i64 = app
        .db(move |conn| {
            let seeded: i64 = users::table
                .filter(users::email.eq("owner@seed-1.test"))
                .select(users::organization_id)
                .first(conn)
                .unwrap();
            tickets::table
                .filter(tickets::organization_id.eq(seeded))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    let client = app.signed_in_as("owner@seed-1.test", "seed-owner").await;

    let body = app.page(&client, "/orders.csv").await;

    assert_eq!(body.lines().count() as i64, 1 + tickets_seeded);
}

/// The same order management on PostgreSQL (`VOELGOED_TEST_POSTGRES`): search, dates,
/// pages, a double-submitted refund, the SMTP outbox and the export.
#[tokio::test]
async fn postgres_serves_search_pages_refunds_outbox_and_export() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let url = crate::helpers::postgres::fresh_postgres_database(
        &admin_url,
        &format!("voelgoed_orders_{}", std::process::id()),
    );
    let server = SmtpServer::start(Behaviour::Accept).await;
    let smtp = server.url.clone();
    let app = crate::helpers::spawn_on(
        voelgoed::db::DatabaseUrl::parse(&url).unwrap(),
        move |settings| {
            settings.smtp = Some(smtp);
            settings.email_retry = RetryPolicy {
                first_delay: Duration::from_millis(200),
                max_attempts: 3,
                ..RetryPolicy::default()
            };
        },
        tempfile::tempdir().unwrap(),
    )
    .await;
    let anna = place_a(&app, ("Anna de Vries", "anna@example.test"), 2, NOV_25_0030_AMSTERDAM).await;
    for n in 0..55 {
        place_a(
            &app,
            ("Bulk Buyer", "bulk@example.test"),
            1,
            NOV_25_0030_AMSTERDAM + HOUR + n,
        )
        .await;
    }
    let client = app.signed_in("owner@a.test").await;

    assert_eq!(
        codes_in(&app.page(&client, "/orders?q=ANNA@EX").await),
        vec![anna.code.clone()]
    );
    assert_eq!(
        codes_in(&app.page(&client, "/orders?q=anna+de").await),
        vec![anna.code.clone()]
    );
    assert_eq!(
        codes_in(&app.page(&client, &format!("/orders?q={}", &anna.code[..7])).await),
        vec![anna.code.clone()]
    );
    let first = app.page(&client, "/orders?from=2026-11-25&to=2026-11-25").await;
    assert_eq!(codes_in(&first).len(), 50);
    let second = app.page(&client, &href_of(&first, "#load-more a").unwrap()).await;
    assert_eq!(codes_in(&second).len(), 6);
    assert_eq!(codes_in(&second).last(), Some(&anna.code));

    let every_filter = format!(
        "/orders?q=anna&status=paid&event={}&from=2026-11-25&to=2026-11-25",
        app.fixture.event_a
    );
    assert_eq!(
        codes_in(&app.page(&client, &every_filter).await),
        vec![anna.code.clone()]
    );
    let tickets = ticket_ids(&app, anna.id).await;
    let form = reviewed_refund(&app, &client, anna.id, &format!("scope=tickets&ticket={}", tickets[0])).await;
    let post = || {
        client
            .post(app.url(&format!("/orders/{}/refund", anna.id)))
            .form(&form)
            .send()
    };
    let (a, b, c) = tokio::join!(post(), post(), post());
    let statuses = [a, b, c].map(|r| r.unwrap().status().as_u16());
    assert_eq!(
        statuses,
        [303, 303, 303],
        "a form submitted three times at once refunds once"
    );
    assert_eq!(app.count("refunds").await, 1);
    assert_eq!(
        order_row(&app, anna.id).await,
        ("partially_refunded".into(), 9_100, 455, 9_100 - 455 - 4_550)
    );

    assert_eq!(resend(&app, &client, anna.id).await.status(), 303);
    wait_for_email_status(&app, anna.id, "sent").await;
    assert_eq!(server.messages().len(), 1);

    let csv = app.page(&client, "/orders.csv?q=anna").await;
    assert_eq!(csv.lines().count(), 3);
    assert!(
        csv.contains(",refunded,45.50,EUR") && csv.contains(",valid,45.50,EUR"),
        "{csv}"
    );
}
