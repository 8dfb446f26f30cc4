//! The device API's decisions: admitted once until the ticket exits (on SQLite and
//! PostgreSQL), why a scan is invalid, offline scans keeping their device time, one ticket
//! at two gates at once, and another organisation's ticket.

use serde_json::json;

use crate::helpers::scans::one;
use crate::helpers::{batch, scan, spawn_app, TestApp};

async fn a_ticket_is_admitted_once_until_it_exits(app: TestApp) {
    let (north, _) = app.device_a("North").await;
    let (south, _) = app.device_a("South").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();

    let first = one(&app, &north, "s1", &code, "in").await;
    let again = one(&app, &south, "s2", &code, "in").await;
    let exit = one(&app, &south, "s3", &code, "out").await;
    let back = one(&app, &south, "s4", &code, "in").await;

    assert_eq!(first["result"], "valid");
    assert_eq!(again["result"], "duplicate");
    assert_eq!(
        again["admitted_gate"], "North",
        "the duplicate says where it was admitted"
    );
    assert!(again["admitted_at"].as_str().is_some());
    assert!(again["reason"].as_str().unwrap().contains("North"));
    assert_eq!(exit["result"], "valid");
    assert_eq!(back["result"], "valid", "after an exit the ticket is valid again");
    let exit_twice = one(&app, &south, "s5", &code, "out").await;
    assert_eq!(exit_twice["result"], "valid");
    let exit_again = one(&app, &south, "s6", &code, "out").await;
    assert_eq!(exit_again["result"], "invalid");
}

#[tokio::test]
async fn invalid_scans_say_why() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let order = app.sell_tickets_a(2).await;
    let (refunded, vip_only) = (order.ticket_codes[0].clone(), order.ticket_codes[1].clone());
    let other_event_code = {
        let tenant = app.fixture.org_a;
        app.db(move |conn| {
            use voelgoed::provisioning;
            let now = voelgoed::db::now_ms();
            let event = provisioning::NewEvent {
                name: "Second",
                venue: "V",
                starts_at: now,
                ends_at: now + 1,
                timezone: "UTC",
                capacity: 10,
                currency: "EUR",
                sales_open_at: now,
            };
            let event_id = provisioning::create_event(conn, &tenant, &event).unwrap();
            let type_id = provisioning::create_ticket_type(conn, &tenant, event_id, "T", 100, 10).unwrap();
            let order = voelgoed::orders::NewOrder {
                event_id,
                buyer_name: "B".into(),
                buyer_email: "b@x.test".into(),
                items: vec![voelgoed::orders::OrderItem::new(type_id, 1)],
                created_at: now,
            };
            voelgoed::orders::place_order(conn, &tenant, &order)
                .unwrap()
                .unwrap()
                .ticket_codes[0]
                .clone()
        })
        .await
    };
    let refunded_code = refunded.clone();
    app.db(move |conn| {
        use diesel::prelude::*;
        use voelgoed::db::schema::tickets;
        diesel::update(tickets::table.filter(tickets::code.eq(refunded_code)))
            .set(tickets::status.eq("refunded"))
            .execute(conn)
            .unwrap();
    })
    .await;
    restrict_gate_to_a_new_type(&app, "VIP").await;
    let (vip_token, _) = app.device_a("VIP").await;

    let (status, answer) = app
        .post_scans(
            &token,
            &batch(vec![
                scan("a", "NO-SUCH-CODE", "in"),
                scan("b", &other_event_code, "in"),
                scan("c", &refunded, "in"),
            ]),
        )
        .await;
    let vip = one(&app, &vip_token, "d", &vip_only, "in").await;

    assert_eq!(status, 200);
    let reasons: Vec<&str> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "unknown ticket code",
            "ticket is for another event",
            "ticket was refunded"
        ]
    );
    assert!(answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["result"] == "invalid"));
    assert_eq!(vip["result"], "invalid");
    assert_eq!(vip["reason"], "ticket type not allowed at this gate");
}

/// Limits the gate to a ticket type the fixture's tickets are not, through the admin
/// command.
async fn restrict_gate_to_a_new_type(app: &TestApp, gate: &'static str) {
    let (tenant, event_id) = (app.fixture.org_a, app.fixture.event_a);
    let vip_type = app
        .db(move |conn| voelgoed::provisioning::create_ticket_type(conn, &tenant, event_id, "VIP", 9_000, 10).unwrap())
        .await;
    let voelgoed::db::DatabaseUrl::Sqlite(database) = app.services.settings.database.clone() else {
        unreachable!()
    };
    let run = |types: &[String]| {
        let mut args = vec![
            "admin".to_string(),
            "gate-ticket-types".into(),
            "--database".into(),
            database.clone(),
        ];
        args.extend(["--event".into(), event_id.to_string(), "--gate".into(), gate.into()]);
        types
            .iter()
            .for_each(|t| args.extend(["--ticket-type".to_string(), t.clone()]));
        std::process::Command::new(env!("CARGO_BIN_EXE_voelgoed"))
            .args(&args)
            .output()
            .unwrap()
    };
    let unknown = run(&["987654".into()]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("ticket type 987654 is not one of event"));
    let set = run(&[vip_type.to_string()]);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    assert!(String::from_utf8_lossy(&set.stdout).contains(&format!("admits ticket types [{vip_type}]")));
}

#[tokio::test]
async fn offline_scans_keep_their_device_time() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let earlier = "2026-01-02T03:04:05.678+01:00";

    let (status, _) = app
        .post_scans(
            &token,
            &json!({"scans": [{"id": "x", "ticket_code": code, "direction": "in", "scanned_at": earlier}]}),
        )
        .await;

    assert_eq!(status, 200);
    let stored: i64 = app
        .db(|conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::scans;
            scans::table.select(scans::scanned_at).first(conn).unwrap()
        })
        .await;
    assert_eq!(
        stored,
        chrono::DateTime::parse_from_rfc3339(earlier)
            .unwrap()
            .timestamp_millis()
    );
}

#[tokio::test]
async fn the_same_ticket_at_two_gates_at_once_is_valid_exactly_once() {
    let app = spawn_app().await;
    exactly_one_valid(&app).await;
}

pub async fn exactly_one_valid(app: &TestApp) {
    let (north, _) = app.device_a("North").await;
    let (south, _) = app.device_a("South").await;
    for round in 0..10 {
        let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
        let at_north = batch(vec![scan(&format!("n{round}"), &code, "in")]);
        let at_south = batch(vec![scan(&format!("s{round}"), &code, "in")]);
        let ((sa, ra), (sb, rb)) = tokio::join!(app.post_scans(&north, &at_north), app.post_scans(&south, &at_south));
        assert_eq!((sa, sb), (200, 200));
        let mut outcomes = vec![ra["results"][0]["result"].clone(), rb["results"][0]["result"].clone()];
        outcomes.sort_by_key(|v| v.to_string());
        assert_eq!(outcomes, [json!("duplicate"), json!("valid")], "round {round}");
    }
}

#[tokio::test]
async fn a_device_cannot_admit_another_organisations_ticket() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let code_b = app.place_ticket_b().await;

    let answer = one(&app, &token, "1", &code_b, "in").await;

    assert_eq!(answer["result"], "invalid");
    assert_eq!(
        answer["reason"], "unknown ticket code",
        "another organisation's tickets do not exist for this device"
    );
}

crate::helpers::on_both_backends!("sa_"; a_ticket_is_admitted_once_until_it_exits);
