//! The demo seed, the bulk seed and the admin commands, through the real binary.

use std::process::Command;

use diesel::prelude::*;
use voelgoed::db::schema::{orders, organizations, tickets};

use crate::helpers::demo::run_demo;

fn voelgoed(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_voelgoed"))
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn bulk_seed_spreads_orders_unevenly_over_new_organisations() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bulk.sqlite");
    let db = db.to_str().unwrap();

    let output = voelgoed(&["seed", "--database", db, "--orders", "3000", "--orgs", "6"]);

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let pool = voelgoed::db::connect(&voelgoed::db::DatabaseUrl::parse(db).unwrap()).unwrap();
    let mut conn = pool.get().unwrap();
    let per_org: Vec<(i64, i64)> = orders::table
        .group_by(orders::organization_id)
        .select((orders::organization_id, diesel::dsl::count_star()))
        .order(orders::organization_id)
        .load(&mut *conn)
        .unwrap();
    let orgs: i64 = organizations::table.count().get_result(&mut *conn).unwrap();
    assert_eq!(orgs, 6);
    assert_eq!(per_org.iter().map(|(_, n)| n).sum::<i64>(), 3000);
    assert!(
        per_org[0].1 > 4 * per_org[5].1,
        "the first organisation is much larger: {per_org:?}"
    );
    let (all, distinct): (i64, i64) = tickets::table
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::count(tickets::code).aggregate_distinct(),
        ))
        .first(&mut *conn)
        .unwrap();
    assert!(all >= 2900, "orders come with tickets");
    assert_eq!(all, distinct, "ticket codes are unique");
    // Refunds return ticket prices and keep the fees: net = gross − fees − refunded.
    #[derive(QueryableByName, Debug)]
    struct Wrong {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let wrong = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM orders o WHERE o.net <> o.gross - o.fees - COALESCE((SELECT SUM(t.price) \
         FROM tickets t WHERE t.order_id = o.id AND t.status = 'refunded'), 0) \
         OR COALESCE((SELECT SUM(r.amount) FROM refunds r WHERE r.order_id = o.id), 0) <> o.gross - o.fees - o.net",
    )
    .get_result::<Wrong>(&mut *conn)
    .unwrap();
    assert_eq!(wrong.n, 0, "seeded net amounts follow the refund rules");

    let again = voelgoed(&["seed", "--database", db, "--orders", "10"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already seeded"));
}

#[tokio::test]
async fn seeded_owner_can_sign_in_to_their_organisation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bulk.sqlite");
    let seeded = voelgoed(&[
        "seed",
        "--database",
        db.to_str().unwrap(),
        "--orders",
        "50",
        "--orgs",
        "2",
    ]);
    assert!(seeded.status.success());
    let app = crate::helpers::spawn_on(
        voelgoed::db::DatabaseUrl::parse(db.to_str().unwrap()).unwrap(),
        |_| {},
        dir,
    )
    .await;

    let client = app.client();
    let response = app.sign_in(&client, "owner@seed-2.test", "seed-owner").await;

    assert_eq!(response.status(), 303);
    let page = app.page(&client, "/events").await;
    assert!(page.contains("City Festival 2"));
    assert!(!page.contains("City Festival 1"));
}

#[tokio::test]
async fn demo_seed_creates_the_documented_logins_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let url = voelgoed::db::DatabaseUrl::parse(db.to_str().unwrap()).unwrap();

    let first = run_demo(dir.path());
    let second = run_demo(dir.path());
    let logins = first.logins;

    assert!(first.seeded && !second.seeded);
    assert!(!logins.is_empty(), "the demo prints its logins");
    let app = crate::helpers::spawn_on(url, |_| {}, dir).await;
    for (email, password) in &logins {
        assert_eq!(
            app.sign_in(&app.client(), email, password).await.status(),
            303,
            "{email}"
        );
    }
    // Each run prints a pairing link a phone can open to scan the festival's tickets.
    let link = second.pairing_link.expect("the demo prints a pairing link");
    let paired = app.client().post(app.url(&link)).send().await.unwrap();
    assert_eq!(paired.status(), 200);
    assert!(paired.text().await.unwrap().contains("North phone"));
    let demo = app.signed_in_as("owner@demo.test", "demo-owner").await;
    let page = app.page(&demo, "/events").await;
    assert!(page.contains("Voelgoed Summer Festival") && !page.contains("Kaapstad Jazz"));
    // The door staff run the live event, and only that one.
    for (email, password) in [
        ("steward@demo.test", "demo-steward"),
        ("supervisor@demo.test", "demo-supervisor"),
    ] {
        let staff = app.signed_in_as(email, password).await;
        let page = app.page(&staff, "/events").await;
        assert!(page.contains("Voelgoed Summer Festival"), "{email}");
        assert!(!page.contains("Autumn Jazz Night"), "{email}");
    }
    assert!(logins.iter().any(|(email, _)| email == "finance@demo.test"));
}

#[tokio::test]
async fn create_device_prints_only_the_new_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("admin.sqlite");
    let db = db.to_str().unwrap();
    let org = voelgoed(&[
        "admin",
        "create-org",
        "--database",
        db,
        "--name",
        "Gate Co",
        "--timezone",
        "Europe/Berlin",
    ]);
    assert!(org.status.success(), "{}", String::from_utf8_lossy(&org.stderr));
    let pool = voelgoed::db::connect(&voelgoed::db::DatabaseUrl::parse(db).unwrap()).unwrap();
    let org_id: i64 = String::from_utf8(org.stdout).unwrap().trim().parse().unwrap();
    let event_id = {
        let mut conn = pool.get().unwrap();
        let tenant = organizations::table
            .find(org_id)
            .select(organizations::id)
            .first::<i64>(&mut *conn)
            .unwrap();
        diesel::sql_query(format!(
            "INSERT INTO events (organization_id, name, venue, starts_at, ends_at, timezone, capacity, currency, sales_open_at, created_at) \
             VALUES ({tenant}, 'E', 'V', 0, 1, 'UTC', 10, 'EUR', 0, 0)"
        ))
        .execute(&mut *conn)
        .unwrap();
        voelgoed::db::schema::events::table
            .select(diesel::dsl::max(voelgoed::db::schema::events::id))
            .first::<Option<i64>>(&mut *conn)
            .unwrap()
            .unwrap()
    };

    let device = voelgoed(&[
        "admin",
        "create-device",
        "--database",
        db,
        "--event",
        &event_id.to_string(),
        "--gate",
        "North",
    ]);
    let missing = voelgoed(&[
        "admin",
        "create-device",
        "--database",
        db,
        "--event",
        "999",
        "--gate",
        "North",
    ]);

    assert!(device.status.success());
    let token = String::from_utf8(device.stdout).unwrap();
    assert!(
        token.trim().len() == 64 && token.trim().chars().all(|c| c.is_ascii_hexdigit()),
        "{token:?}"
    );
    assert_eq!(token.lines().count(), 1);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no event 999"));
}
