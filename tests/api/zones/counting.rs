//! People moving between zones through the device API: passages walked forwards and
//! back, a full zone that refuses, a ticket type a zone refuses, the mismatch rule, and
//! many gates at once leaving no drift (the zones' counts equal a recount from the
//! tickets, and their sum plus those in no zone equals the event's inside).

use std::collections::HashMap;

use serde_json::json;

use super::{add_zone, passage, post_form, recount, zones_a};
use crate::helpers::postgres::spawn_postgres_app;
use crate::helpers::{batch, spawn_app, TestApp};
use voelgoed::db::now_ms;

crate::helpers::on_both_backends!(
    people_walk_between_zones_under_the_zones_rules:
    spawn_app(),
    spawn_postgres_app("voelgoed_zone_moves"),
);

crate::helpers::on_both_backends!(
    many_gates_moving_people_at_once_leave_no_drift:
    spawn_app(),
    spawn_postgres_app("voelgoed_zone_drift"),
);

/// One scan now; its result and reason.
pub async fn scan(app: &TestApp, token: &str, code: &str, direction: &str) -> (String, String) {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = format!("z-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let at = chrono::Utc::now().to_rfc3339();
    let body = batch(vec![
        json!({ "id": id, "ticket_code": code, "direction": direction, "scanned_at": at }),
    ]);
    let (status, answer) = app.post_scans(token, &body).await;
    assert_eq!(status, 200, "{answer}");
    let result = &answer["results"][0];
    (
        result["result"].as_str().unwrap().to_owned(),
        result["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

fn answer(result: &str, reason: &str) -> (String, String) {
    (result.into(), reason.into())
}

/// Sells `quantity` tickets of a new ticket type of org A's event; its id and the codes.
pub async fn sell_type(app: &TestApp, name: &str, quantity: i64) -> (i64, Vec<String>) {
    let (tenant, event, name) = (app.fixture.org_a, app.fixture.event_a, name.to_owned());
    app.db(move |conn| {
        let id = voelgoed::provisioning::create_ticket_type(conn, &tenant, event, &name, 5000, 1000).unwrap();
        let order = voelgoed::orders::NewOrder {
            event_id: event,
            buyer_name: "Zone Buyer".into(),
            buyer_email: "zones@example.test".into(),
            items: vec![voelgoed::orders::OrderItem::new(id, quantity)],
            created_at: now_ms(),
        };
        let placed = voelgoed::orders::place_order(conn, &tenant, &order).unwrap().unwrap();
        (id, placed.ticket_codes)
    })
    .await
}

async fn people_walk_between_zones_under_the_zones_rules(app: TestApp) {
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let (vip_type, vips) = sell_type(&app, "VIP", 2).await;
    let general = app.sell_tickets_a(1).await.ticket_codes;
    let arena = add_zone(&app, &owner, "Arena", 100, "warn").await;
    let path = format!("/events/{}/zones", app.fixture.event_a);
    let vip_box = format!("type_{vip_type}");
    let fields = [
        ("name", "VIP deck"),
        ("capacity", "1"),
        ("when_full", "refuse"),
        (vip_box.as_str(), "on"),
    ];
    assert_eq!(post_form(&app, &owner, &path, &fields).await.0, 303);
    let main = passage(&app, &owner, "Main", None, arena).await;
    let deck = zones_a(&app).await.iter().find(|z| z.name == "VIP deck").unwrap().id;
    let stairs = passage(&app, &owner, "Stairs", Some(arena), deck).await;

    let (ann, bob) = (&vips[0], &vips[1]);
    assert_eq!(scan(&app, &main, ann, "in").await, answer("valid", ""));
    assert_eq!(scan(&app, &stairs, ann, "in").await, answer("valid", ""));
    assert_eq!(scan(&app, &stairs, ann, "in").await.0, "duplicate");
    assert_eq!(
        scan(&app, &stairs, ann, "out").await,
        answer("valid", ""),
        "back to the arena"
    );
    assert_eq!(
        scan(&app, &main, ann, "out").await,
        answer("valid", ""),
        "out of the event"
    );
    assert_eq!(
        scan(&app, &main, ann, "out").await,
        answer("invalid", "not inside: no entry to exit from")
    );

    // A general ticket gets into the arena but not onto the deck.
    assert_eq!(scan(&app, &main, &general[0], "in").await, answer("valid", ""));
    assert_eq!(
        scan(&app, &stairs, &general[0], "in").await,
        answer("invalid", "ticket type not allowed in VIP deck")
    );
    // The deck holds one: the second is refused, as its owner chose.
    assert_eq!(scan(&app, &main, ann, "in").await, answer("valid", ""));
    assert_eq!(scan(&app, &stairs, ann, "in").await, answer("valid", ""));
    assert_eq!(scan(&app, &main, bob, "in").await, answer("valid", ""));
    assert_eq!(
        scan(&app, &stairs, bob, "in").await,
        answer("invalid", "zone full: VIP deck")
    );
    // Bob leaves the deck he never reached: let through by default, refused once the
    // event says so.
    let rule_path = format!("/events/{}/zone-mismatch", app.fixture.event_a);
    assert_eq!(post_form(&app, &owner, &rule_path, &[("rule", "refuse")]).await.0, 303);
    assert_eq!(
        scan(&app, &stairs, bob, "out").await,
        answer("invalid", "not in VIP deck")
    );
    assert_eq!(post_form(&app, &owner, &rule_path, &[("rule", "admit")]).await.0, 303);
    assert_eq!(scan(&app, &stairs, bob, "out").await, answer("valid", ""));

    // Ann on the deck, Bob and the general ticket in the arena.
    let stored: HashMap<i64, i64> = zones_a(&app).await.iter().map(|z| (z.id, z.inside)).collect();
    assert_eq!((stored[&arena], stored[&deck]), (2, 1));
    assert_counts_agree(&app).await;
}

/// The zones' stored counts equal a recount from the tickets, the live counters say the
/// same (headcount corrections added), and the zones add up to the event's inside.
pub async fn assert_counts_agree(app: &TestApp) {
    if let Err(disagreement) = counts_agree(app).await {
        panic!("{disagreement}");
    }
}

/// `assert_counts_agree` within five seconds (counters shared through Redis catch up).
pub async fn eventually_counts_agree(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while let Err(disagreement) = counts_agree(app).await {
        assert!(std::time::Instant::now() < deadline, "{disagreement}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn counts_agree(app: &TestApp) -> Result<(), String> {
    let counted = recount(app).await;
    let zones = zones_a(app).await;
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    let live = app
        .services
        .scan_counters
        .event_counts(&tenant, event, now_ms())
        .await
        .unwrap();
    let mut corrections = 0;
    for ((zone, stored, tickets), row) in counted.iter().zip(&zones) {
        if stored != tickets {
            return Err(format!("zone {zone}: stored {stored}, tickets in it {tickets}"));
        }
        let shown = live.zones.get(zone).copied().unwrap_or_default();
        if shown != tickets + row.correction {
            return Err(format!(
                "zone {zone}: live {shown}, tickets {tickets} + correction {}",
                row.correction
            ));
        }
        corrections += row.correction;
    }
    let inside = app.count("tickets WHERE inside_since IS NOT NULL").await;
    let unzoned = app
        .count("tickets WHERE inside_since IS NOT NULL AND inside_zone_id IS NULL")
        .await;
    let in_zones: i64 = counted.iter().map(|(_, _, n)| n).sum();
    if in_zones + unzoned != inside {
        return Err(format!("zones {in_zones} + in no zone {unzoned} != inside {inside}"));
    }
    let occupancy = app.services.scan_counters.occupancy(&tenant, event).await.unwrap();
    if live.occupancy != inside + corrections || occupancy != live.occupancy {
        return Err(format!(
            "live inside {} / {occupancy}, tickets inside {inside} + corrections {corrections}",
            live.occupancy
        ));
    }
    Ok(())
}

async fn many_gates_moving_people_at_once_leave_no_drift(app: TestApp) {
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let arena = add_zone(&app, &owner, "Arena", 10_000, "warn").await;
    let deck = add_zone(&app, &owner, "Deck", 10_000, "warn").await;
    let mut doors = Vec::new();
    for n in 0..3 {
        doors.push((
            passage(&app, &owner, &format!("Main {n}"), None, arena).await,
            passage(&app, &owner, &format!("Stairs {n}"), Some(arena), deck).await,
        ));
    }
    let codes = app.sell_tickets_a(30).await.ticket_codes;
    let walks = codes.iter().enumerate().map(|(n, code)| {
        let (main, stairs) = doors[n % doors.len()].clone();
        let (other_main, other_stairs) = doors[(n + 1) % doors.len()].clone();
        let app = &app;
        async move {
            scan(app, &main, code, "in").await;
            scan(app, &stairs, code, "in").await;
            if n % 2 == 0 {
                scan(app, &other_stairs, code, "out").await;
            }
            if n % 3 == 0 {
                scan(app, &other_main, code, "out").await;
            }
        }
    });
    futures_util::future::join_all(walks).await;
    assert_counts_agree(&app).await;
    // All 30 reached the deck; the even 15 walked back to the arena, and every third
    // left the event: 5 from the arena, and 5 from the deck (an exit through a main
    // gate from the deck is let through under the default mismatch rule).
    let stored: HashMap<i64, i64> = zones_a(&app).await.iter().map(|z| (z.id, z.inside)).collect();
    assert_eq!((stored[&arena], stored[&deck]), (10, 10));
    assert_eq!(app.count("tickets WHERE inside_since IS NOT NULL").await, 20);
}
