//! The event dashboard over real HTTP: sections, exact money, cached metrics that always
//! equal a recount from the database, alerts with their start, small live updates.

use std::time::Duration;

use diesel::prelude::*;
use rand::{Rng, SeedableRng};
use voelgoed::db::schema::{orders, refunds, tickets, users};
use voelgoed::db::{self, sum_of, Tenant};
use voelgoed::live::{Channel, Update, UpdateKind};
use voelgoed::orders::{place_order, NewOrder};
use voelgoed::provisioning::{self, NewEvent};

use voelgoed::db::DatabaseUrl;

use crate::helpers::sse::SseReader;
use crate::helpers::{batch, scan, spawn_app, spawn_on, text_of, TestApp};

/// Sells `quantity` tickets of a type and tells the bus, as the shop does.
async fn sell(app: &TestApp, tenant: Tenant, event_id: i64, type_id: i64, quantity: i64) -> Vec<String> {
    try_sell(app, tenant, event_id, type_id, quantity)
        .await
        .expect("tickets available")
}

/// Like `sell`; None when the type has too few tickets left.
async fn try_sell(app: &TestApp, tenant: Tenant, event_id: i64, type_id: i64, quantity: i64) -> Option<Vec<String>> {
    let codes = app
        .db(move |conn| {
            let order = NewOrder {
                event_id,
                buyer_name: "Dash Buyer".into(),
                buyer_email: "dash@example.test".into(),
                items: vec![voelgoed::orders::OrderItem::new(type_id, quantity)],
                created_at: db::now_ms(),
            };
            place_order(conn, &tenant, &order).unwrap().map(|o| o.ticket_codes)
        })
        .await?;
    app.services.bus.publish(Update {
        channel: Channel::occupancy(&tenant, event_id),
        kind: UpdateKind::TicketSold,
    });
    Some(codes)
}

/// Refunds one ticket with the order-management rules (the buyer gets its price back,
/// the fee stays) and tells the bus.
async fn refund_ticket(app: &TestApp, code: String) {
    let tenant = app.fixture.org_a;
    app.db(move |conn| {
        let (ticket_id, order_id, price): (i64, i64, i64) = tickets::table
            .filter(tickets::code.eq(&code))
            .select((tickets::id, tickets::order_id, tickets::price))
            .first(conn)
            .unwrap();
        let owner: i64 = users::table
            .filter(users::email.eq("owner@a.test"))
            .select(users::id)
            .first(conn)
            .unwrap();
        diesel::update(tickets::table.find(ticket_id))
            .set(tickets::status.eq("refunded"))
            .execute(conn)
            .unwrap();
        diesel::insert_into(refunds::table)
            .values((
                refunds::organization_id.eq(tenant.organization_id()),
                refunds::order_id.eq(order_id),
                refunds::amount.eq(price),
                refunds::idempotency_key.eq(format!("test-{ticket_id}")),
                refunds::user_id.eq(owner),
                refunds::created_at.eq(db::now_ms()),
            ))
            .execute(conn)
            .unwrap();
        let left: i64 = tickets::table
            .filter(tickets::order_id.eq(order_id))
            .filter(tickets::status.eq("valid"))
            .count()
            .get_result(conn)
            .unwrap();
        let status = if left == 0 { "refunded" } else { "partially_refunded" };
        diesel::update(orders::table.find(order_id))
            .set(orders::status.eq(status))
            .execute(conn)
            .unwrap();
    })
    .await;
    app.services.bus.publish(Update {
        channel: Channel::occupancy(&tenant, app.fixture.event_a),
        kind: UpdateKind::OrderChanged,
    });
}

/// The dashboard's numbers as a recount straight from the tables would give them.
#[derive(Debug, PartialEq)]
struct Numbers {
    sold: i64,
    inside: i64,
    gross: i64,
    fees: i64,
    refunds: i64,
    net: i64,
}

async fn recount(app: &TestApp) -> Numbers {
    let (org, event) = (app.fixture.org_a.organization_id(), app.fixture.event_a);
    app.db(move |conn| {
        let sold = tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::event_id.eq(event))
            .filter(tickets::status.eq("valid"))
            .count()
            .get_result(conn)
            .unwrap();
        let inside = tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::event_id.eq(event))
            .filter(tickets::inside_since.is_not_null())
            .count()
            .get_result(conn)
            .unwrap();
        let sold_orders = || {
            orders::table
                .filter(orders::organization_id.eq(org))
                .filter(orders::event_id.eq(event))
                .filter(orders::status.eq_any(["paid", "partially_refunded", "refunded"]))
        };
        let gross: Option<i64> = sold_orders().select(sum_of("orders.gross")).first(conn).unwrap();
        let fees: Option<i64> = sold_orders().select(sum_of("orders.fees")).first(conn).unwrap();
        let event_orders = orders::table.filter(orders::event_id.eq(event)).select(orders::id);
        let refunded: Option<i64> = refunds::table
            .filter(refunds::order_id.eq_any(event_orders))
            .select(sum_of("refunds.amount"))
            .first(conn)
            .unwrap();
        let (gross, fees, refunds) = (gross.unwrap_or(0), fees.unwrap_or(0), refunded.unwrap_or(0));
        Numbers {
            sold,
            inside,
            gross,
            fees,
            refunds,
            net: gross - fees - refunds,
        }
    })
    .await
}

/// "€1,234.56" → 123456.
fn minor_units(text: &str) -> i64 {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().unwrap()
}

fn metric(page: &str, name: &str) -> String {
    text_of(page, &format!(r#"[data-metric="{name}"]"#)).unwrap_or_else(|| panic!("no {name} in the page"))
}

fn shown(page: &str) -> Numbers {
    let number = |name| metric(page, name).replace(',', "").parse::<i64>().unwrap();
    Numbers {
        sold: number("sold"),
        inside: number("inside"),
        gross: minor_units(&metric(page, "gross")),
        fees: minor_units(&metric(page, "fees")),
        refunds: minor_units(&metric(page, "refunds")),
        net: minor_units(&metric(page, "net")),
    }
}

fn dashboard_path(app: &TestApp) -> String {
    format!("/events/{}", app.fixture.event_a)
}

#[tokio::test]
async fn an_event_with_nothing_yet_shows_zeros_not_errors() {
    let app = spawn_app().await;
    let tenant = app.fixture.org_a;
    let empty = app
        .db(move |conn| {
            let now = db::now_ms();
            let event = NewEvent {
                name: "Empty Night",
                venue: "Nowhere",
                starts_at: now + 86_400_000,
                ends_at: now + 90_000_000,
                timezone: "Europe/Amsterdam",
                capacity: 0,
                currency: "EUR",
                sales_open_at: now + 3_600_000,
            };
            provisioning::create_event(conn, &tenant, &event).unwrap()
        })
        .await;
    let client = app.signed_in("owner@a.test").await;

    let page = app.page(&client, &format!("/events/{empty}")).await;

    assert!(page.contains("No ticket types yet."));
    assert!(page.contains("No tickets sold yet."));
    assert!(page.contains("sales not open"));
    assert_eq!(metric(&page, "inside"), "0");
    assert_eq!(metric(&page, "occupancy-percent"), "0 %");
    assert_eq!(metric(&page, "net"), "€0.00");
    assert_eq!(metric(&page, "average-per-hour"), "0.0");
    assert!(!page.contains("NaN") && !page.contains("inf"), "{page}");
}

#[tokio::test]
async fn revenue_adds_up_to_the_cent() {
    let app = spawn_app().await;
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    let odd = app
        .db(move |conn| provisioning::create_ticket_type(conn, &tenant, event, "Odd price", 1_234, 100).unwrap())
        .await;
    // 3 × €12.34 = €37.02, fee 5 % rounded down = €1.85; 2 × €45.50 = €91.00, fee €4.55.
    sell(&app, tenant, event, odd, 3).await;
    let codes = sell(&app, tenant, event, app.fixture.ticket_type_a, 2).await;
    // One €45.50 ticket refunded: the buyer gets €45.50 back, the fee stays.
    refund_ticket(&app, codes[0].clone()).await;
    let client = app.signed_in("owner@a.test").await;

    let page = app.page(&client, &dashboard_path(&app)).await;

    assert_eq!(metric(&page, "gross"), "€128.02");
    assert_eq!(metric(&page, "fees"), "€6.40");
    assert_eq!(metric(&page, "refunds"), "€45.50");
    assert_eq!(metric(&page, "net"), "€76.12");
    assert_eq!(metric(&page, "sold"), "4");
    assert_eq!(metric(&page, "sold-total"), "4 / 600");
    assert_eq!(shown(&page), recount(&app).await);
}

#[tokio::test]
async fn cached_metrics_equal_a_recount_after_any_sales_refunds_and_scans() {
    metrics_equal_a_recount_after_random_steps(&spawn_app().await, 20261125).await;
}

#[tokio::test]
async fn cached_metrics_equal_a_recount_on_postgresql_too() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let name = format!("voelgoed_dashboard_{}", std::process::id());
    let url = crate::helpers::postgres::fresh_postgres_database(&admin_url, &name);
    let app = spawn_on(DatabaseUrl::parse(&url).unwrap(), |_| {}, tempfile::tempdir().unwrap()).await;
    metrics_equal_a_recount_after_random_steps(&app, 7).await;
}

/// Sixty random sales (of two ticket types), refunds, entries and exits, with the
/// dashboard checked against a recount every fifth step.
async fn metrics_equal_a_recount_after_random_steps(app: &TestApp, seed: u64) {
    let (tenant, event, regular) = (app.fixture.org_a, app.fixture.event_a, app.fixture.ticket_type_a);
    let vip = app
        .db(move |conn| provisioning::create_ticket_type(conn, &tenant, event, "VIP", 9_999, 40).unwrap())
        .await;
    let (token, _) = app.device_a("North").await;
    let client = app.signed_in("owner@a.test").await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut valid, mut inside): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());

    for step in 0..60 {
        match rng.random_range(0..10) {
            0..4 => {
                let ticket_type = if rng.random_bool(0.3) { vip } else { regular };
                if let Some(codes) = try_sell(app, tenant, event, ticket_type, rng.random_range(1..4)).await {
                    valid.extend(codes);
                }
            }
            // Refunds of tickets whose holder is outside (someone inside stays inside).
            4 if valid.iter().any(|c| !inside.contains(c)) => {
                let outside: Vec<usize> = (0..valid.len()).filter(|&i| !inside.contains(&valid[i])).collect();
                let code = valid.swap_remove(outside[rng.random_range(0..outside.len())]);
                refund_ticket(app, code).await;
            }
            5..8 if !valid.is_empty() => {
                let code = valid[rng.random_range(0..valid.len())].clone();
                let (status, _) = app
                    .post_scans(&token, &batch(vec![scan(&format!("in-{step}"), &code, "in")]))
                    .await;
                assert_eq!(status, 200);
                if !inside.contains(&code) {
                    inside.push(code);
                }
            }
            _ if !inside.is_empty() => {
                let code = inside.swap_remove(rng.random_range(0..inside.len()));
                let (status, _) = app
                    .post_scans(&token, &batch(vec![scan(&format!("out-{step}"), &code, "out")]))
                    .await;
                assert_eq!(status, 200);
            }
            _ => {}
        }
        if step % 5 == 4 {
            let page = app.page(&client, &dashboard_path(app)).await;
            assert_eq!(shown(&page), recount(app).await, "after step {step}");
        }
    }
    let page = app.page(&client, &dashboard_path(app)).await;
    assert_eq!(metric(&page, "inside"), inside.len().to_string());
}

#[tokio::test]
async fn metrics_are_cached_until_something_changes_and_a_storm_costs_one_computation() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let path = dashboard_path(&app);
    app.page(&client, &path).await;
    let after_first = app.services.metrics.computations();

    app.page(&client, &path).await;
    assert_eq!(
        app.services.metrics.computations(),
        after_first,
        "a second look is served from the cache"
    );

    app.place_order_a(2).await;
    let channel = Channel::occupancy(&app.fixture.org_a, app.fixture.event_a);
    for _ in 0..500 {
        app.services.bus.publish(Update {
            channel: channel.clone(),
            kind: UpdateKind::TicketSold,
        });
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let loads = (0..40).map(|_| app.page(&client, &path));
    let pages = futures_util::future::join_all(loads).await;

    assert!(pages.iter().all(|page| metric(page, "sold") == "2"));
    assert_eq!(
        app.services.metrics.computations(),
        after_first + 1,
        "500 invalidations and 40 concurrent loads: one recomputation"
    );
}

#[tokio::test]
async fn alerts_arrive_live_with_when_they_started_and_updates_stay_small() {
    let app = spawn_app().await;
    let tenant = app.fixture.org_a;
    let (club, vip, token) = app
        .db(move |conn| {
            let now = db::now_ms();
            let event = NewEvent {
                name: "Small Club",
                venue: "Basement",
                starts_at: now - 3_600_000,
                ends_at: now + 3_600_000,
                timezone: "Europe/Amsterdam",
                capacity: 3,
                currency: "EUR",
                sales_open_at: now - 86_400_000,
            };
            let club = provisioning::create_event(conn, &tenant, &event).unwrap();
            provisioning::create_ticket_type(conn, &tenant, club, "Regular", 1_000, 100).unwrap();
            let vip = provisioning::create_ticket_type(conn, &tenant, club, "VIP", 5_000, 10).unwrap();
            let gate = provisioning::find_or_create_gate(conn, &tenant, club, "Door").unwrap();
            let (_, token) = provisioning::create_device(conn, &tenant, club, gate, "Door scanner").unwrap();
            (club, vip, token)
        })
        .await;
    let client = app.signed_in("owner@a.test").await;
    let mut stream = SseReader::open(&app, &client, &format!("/sse/events/{club}/occupancy")).await;
    let first = stream.next(Duration::from_secs(5)).await.unwrap();
    assert!(!first.data.contains("data-alert"));

    let codes = sell(&app, tenant, club, vip, 9).await;
    let pushed = next_containing(&mut stream, "VIP: over 90 % sold.").await;
    assert!(pushed.data.contains("Since"));

    sell(&app, tenant, club, vip, 1).await;
    next_containing(&mut stream, "VIP: sold out.").await;

    for (n, code) in codes.iter().take(3).enumerate() {
        let (status, _) = app
            .post_scans(&token, &batch(vec![scan(&format!("club-{n}"), code, "in")]))
            .await;
        assert_eq!(status, 200);
    }
    let full = next_containing(&mut stream, "At capacity: the venue is full.").await;
    let entered_third: i64 = {
        let code = codes[2].clone();
        app.db(move |conn| {
            tickets::table
                .filter(tickets::code.eq(code))
                .select(tickets::inside_since)
                .first::<Option<i64>>(conn)
                .unwrap()
                .unwrap()
        })
        .await
    };
    let since = chrono::DateTime::from_timestamp_millis(entered_third)
        .unwrap()
        .to_rfc3339();
    assert!(
        full.data.contains(&since),
        "the alert starts when the third person came in"
    );

    let page = app.page(&client, &format!("/events/{club}")).await;
    assert_eq!(metric(&page, "inside"), "3");
    assert_eq!(metric(&page, "occupancy-percent"), "100 %");
    assert!(page.contains(r#"id="alerts" aria-live="polite""#));
}

/// The next message with `text`; every message on the way must be at most 2 KB.
async fn next_containing(stream: &mut SseReader, text: &str) -> crate::helpers::sse::Message {
    loop {
        let message = stream
            .next(Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("no update with {text:?}"));
        assert!(
            message.data.len() <= 2048,
            "{} bytes: {}",
            message.data.len(),
            message.data
        );
        if message.data.contains(text) {
            return message;
        }
    }
}

#[tokio::test]
async fn another_organisations_dashboard_is_not_found() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@b.test").await;
    let response = client.get(app.url(&dashboard_path(&app))).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(!body.contains("Alpha Festival"));
}

#[tokio::test]
async fn the_status_says_on_sale_sold_out_live_or_ended() {
    let app = spawn_app().await;
    let tenant = app.fixture.org_a;
    let hour = 3_600_000;
    let (on_sale, sold_out, sold_out_type, ended) = app
        .db(move |conn| {
            let now = db::now_ms();
            let event = |name, starts_at: i64| NewEvent {
                name,
                venue: "Hall",
                starts_at,
                ends_at: starts_at + 4 * hour,
                timezone: "Europe/Amsterdam",
                capacity: 100,
                currency: "EUR",
                sales_open_at: now - 24 * hour,
            };
            let on_sale = provisioning::create_event(conn, &tenant, &event("Next Week", now + 168 * hour)).unwrap();
            provisioning::create_ticket_type(conn, &tenant, on_sale, "Regular", 1_000, 10).unwrap();
            let sold_out = provisioning::create_event(conn, &tenant, &event("Tiny Gig", now + 48 * hour)).unwrap();
            let tiny = provisioning::create_ticket_type(conn, &tenant, sold_out, "Regular", 1_000, 2).unwrap();
            let ended = provisioning::create_event(conn, &tenant, &event("Last Year", now - 100 * hour)).unwrap();
            (on_sale, sold_out, tiny, ended)
        })
        .await;
    sell(&app, tenant, sold_out, sold_out_type, 2).await;
    let client = app.signed_in("owner@a.test").await;

    for (event, badge) in [
        (on_sale, "on sale"),
        (sold_out, "sold out"),
        (app.fixture.event_a, "live now"),
        (ended, "ended"),
    ] {
        let page = app.page(&client, &format!("/events/{event}")).await;
        assert_eq!(text_of(&page, "#event-status .badge").as_deref(), Some(badge));
    }
    let page = app.page(&client, &format!("/events/{sold_out}")).await;
    assert!(page.contains("Regular: sold out."), "the sold-out type is an alert too");
}
