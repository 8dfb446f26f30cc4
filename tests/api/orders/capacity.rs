//! A ticket type never sells more than its capacity, however many sales race for the
//! last tickets: on SQLite, and from two instances on one PostgreSQL database.

use futures_util::future::join_all;
use voelgoed::db::{self, DatabaseUrl};
use voelgoed::orders::{place_order, NewOrder};
use voelgoed::provisioning;

use crate::helpers::{another_instance, spawn_app, spawn_on, TestApp};

/// 30 single-ticket sales of a 10-ticket type, all at once, alternating instances.
async fn race_for_ten_tickets(instances: [&TestApp; 2]) -> (usize, i64) {
    let first = instances[0];
    let (tenant, event) = (first.fixture.org_a, first.fixture.event_a);
    let scarce = first
        .db(move |conn| provisioning::create_ticket_type(conn, &tenant, event, "Last ten", 2_500, 10).unwrap())
        .await;
    let sales = (0..30).map(|n| {
        instances[n % 2].db(move |conn| {
            let order = NewOrder {
                event_id: event,
                buyer_name: format!("Racer {n}"),
                buyer_email: format!("racer{n}@example.test"),
                items: vec![voelgoed::orders::OrderItem::new(scarce, 1)],
                created_at: db::now_ms(),
            };
            place_order(conn, &tenant, &order).unwrap().is_some()
        })
    });
    let placed = join_all(sales).await.into_iter().filter(|placed| *placed).count();
    let sold = first
        .db(move |conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::tickets;
            tickets::table
                .filter(tickets::ticket_type_id.eq(scarce))
                .count()
                .get_result::<i64>(conn)
                .unwrap()
        })
        .await;
    (placed, sold)
}

#[tokio::test]
async fn racing_sales_never_oversell_on_sqlite() {
    let app = spawn_app().await;
    assert_eq!(race_for_ten_tickets([&app, &app]).await, (10, 10));
}

#[tokio::test]
async fn racing_sales_from_two_instances_never_oversell_on_postgresql() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let name = format!("voelgoed_capacity_{}", std::process::id());
    let url = crate::helpers::postgres::fresh_postgres_database(&admin_url, &name);
    let first = spawn_on(DatabaseUrl::parse(&url).unwrap(), |_| {}, tempfile::tempdir().unwrap()).await;
    let second = another_instance(&first).await;
    assert_eq!(race_for_ten_tickets([&first, &second]).await, (10, 10));
}
