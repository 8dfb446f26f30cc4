//! The device API: decisions, batches, idempotency, concurrency and bad input.

use serde_json::json;

use crate::helpers::postgres::spawn_postgres_app;
use crate::helpers::{batch, scan, spawn_app, TestApp};

fn results(answer: &serde_json::Value) -> Vec<(String, String)> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn one(app: &TestApp, token: &str, id: &str, code: &str, direction: &str) -> serde_json::Value {
    let (status, answer) = app.post_scans(token, &batch(vec![scan(id, code, direction)])).await;
    assert_eq!(status, 200, "{answer}");
    answer["results"][0].clone()
}

#[tokio::test]
async fn a_ticket_is_admitted_once_until_it_exits() {
    admitted_once_until_it_exits(spawn_app().await).await;
}

#[tokio::test]
async fn a_ticket_is_admitted_once_until_it_exits_on_postgres() {
    admitted_once_until_it_exits(spawn_postgres_app("voelgoed_scan_once").await).await;
}

async fn admitted_once_until_it_exits(app: TestApp) {
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
async fn a_batch_is_answered_in_order_and_a_resent_batch_gets_its_first_answers() {
    batch_answered_in_order_and_replayed(spawn_app().await).await;
}

#[tokio::test]
async fn a_batch_is_answered_in_order_and_replayed_on_postgres() {
    batch_answered_in_order_and_replayed(spawn_postgres_app("voelgoed_scan_batch").await).await;
}

async fn batch_answered_in_order_and_replayed(app: TestApp) {
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(3).await.ticket_codes;
    let sent = batch(vec![
        scan("1", &codes[0], "in"),
        scan("2", "BOGUS", "in"),
        scan("3", &codes[0], "in"),
        scan("4", &codes[1], "in"),
        scan("5", &codes[2], "out"),
    ]);

    let (_, first) = app.post_scans(&token, &sent).await;
    let (status, resent) = app.post_scans(&token, &sent).await;

    let expected = [
        ("1", "valid"),
        ("2", "invalid"),
        ("3", "duplicate"),
        ("4", "valid"),
        ("5", "invalid"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(results(&first), expected);
    assert_eq!(status, 200);
    assert_eq!(results(&resent), expected, "a resend replays the first answers");
    assert_eq!(
        resent, first,
        "word for word, when and where a duplicate was admitted included"
    );
    assert_eq!(first["results"][2]["admitted_gate"], "North");
    assert!(first["results"][2]["admitted_at"].as_str().is_some());
    assert_eq!(app.count("scans").await, 5, "nothing counted twice");
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
async fn bad_requests_get_a_json_4xx_naming_the_problem_and_record_nothing() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let future = (chrono::Utc::now() + chrono::Duration::hours(25)).to_rfc3339();
    let too_many: Vec<_> = (0..501).map(|n| scan(&n.to_string(), &code, "in")).collect();
    let cases: Vec<(String, u16, &str)> = vec![
        ("{not json".into(), 400, "invalid JSON"),
        (
            r#"{"scans": [{"id": "1", "direction": "in", "scanned_at": "2026-01-01T00:00:00Z"}]}"#.into(),
            400,
            "missing field `ticket_code`",
        ),
        (
            r#"{"scans": [{"id": 1, "ticket_code": "x", "direction": "in", "scanned_at": "2026-01-01T00:00:00Z"}]}"#
                .into(),
            400,
            "invalid type",
        ),
        (
            format!(
                r#"{{"scans": [{{"id": "1", "ticket_code": "{code}", "direction": "sideways", "scanned_at": "2026-01-01T00:00:00Z"}}]}}"#
            ),
            400,
            "unknown variant `sideways`",
        ),
        (
            format!(
                r#"{{"scans": [{{"id": "1", "ticket_code": "{code}", "direction": "in", "scanned_at": "yesterday"}}]}}"#
            ),
            400,
            "invalid JSON",
        ),
        (
            format!(
                r#"{{"scans": [{{"id": "1", "ticket_code": "{code}", "direction": "in", "scanned_at": "{future}"}}]}}"#
            ),
            400,
            "scans[0].scanned_at is more than a day in the future",
        ),
        (r#"{"scans": []}"#.into(), 400, "1 to 500 scans"),
        (batch(too_many).to_string(), 400, "1 to 500 scans, not 501"),
        (
            format!(
                r#"{{"scans": [{{"id": "", "ticket_code": "{code}", "direction": "in", "scanned_at": "2026-01-01T00:00:00Z"}}]}}"#
            ),
            400,
            "scans[0].id",
        ),
        (
            format!(r#"{{"pad": "{}", "scans": []}}"#, "x".repeat(300 * 1024)),
            413,
            "larger than",
        ),
    ];
    let client = reqwest::Client::new();
    for (body, status, message) in cases {
        let response = client
            .post(app.url("/api/v1/scans"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{}", &body[..body.len().min(120)]);
        let answer: serde_json::Value = response.json().await.unwrap();
        assert!(
            answer["error"].as_str().unwrap().contains(message),
            "{answer} should mention {message}"
        );
    }
    let text = client
        .post(app.url("/api/v1/scans"))
        .bearer_auth(&token)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    assert_eq!(app.count("scans").await, 0);
    let (status, _) = app.post_scans(&token, &batch(vec![scan("ok", &code, "in")])).await;
    assert_eq!(status, 200, "the same device can still scan");
}

#[tokio::test]
async fn unknown_missing_and_revoked_tokens_get_401() {
    let app = spawn_app().await;
    let (token, device_id) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let body = batch(vec![scan("1", &code, "in")]);

    // Revoked before the instance first reads the known tokens (a revocation is heard
    // within `PROVEN_FOR`: see scale_out.rs).
    app.revoke_device(device_id).await;
    let (unknown, answer) = app.post_scans("not-a-token", &body).await;
    let missing = reqwest::Client::new()
        .post(app.url("/api/v1/scans"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (revoked, _) = app.post_scans(&token, &body).await;

    assert_eq!(unknown, 401);
    assert_eq!(answer["error"], "missing, unknown or revoked device token");
    assert_eq!(missing.status(), 401);
    assert_eq!(revoked, 401);
    assert_eq!(app.count("scans").await, 0);
}

#[tokio::test]
async fn a_device_cannot_admit_another_organisations_ticket() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let (tenant_b, event_b, type_b) = (app.fixture.org_b, app.fixture.event_b, app.fixture.ticket_type_b);
    let code_b = app
        .db(move |conn| {
            let order = voelgoed::orders::NewOrder {
                event_id: event_b,
                buyer_name: "B".into(),
                buyer_email: "b@b.test".into(),
                items: vec![voelgoed::orders::OrderItem::new(type_b, 1)],
                created_at: 0,
            };
            voelgoed::orders::place_order(conn, &tenant_b, &order)
                .unwrap()
                .unwrap()
                .ticket_codes[0]
                .clone()
        })
        .await;

    let answer = one(&app, &token, "1", &code_b, "in").await;

    assert_eq!(answer["result"], "invalid");
    assert_eq!(
        answer["reason"], "unknown ticket code",
        "another organisation's tickets do not exist for this device"
    );
}

#[tokio::test]
async fn heartbeat_records_what_the_device_reports_and_refuses_nonsense() {
    let app = spawn_app().await;
    let (token, device_id) = app.device_a("North").await;
    let client = reqwest::Client::new();
    let post = |body: serde_json::Value| {
        client
            .post(app.url("/api/v1/devices/heartbeat"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };

    let ok = post(json!({"battery": 57, "pending_uploads": 3, "app_version": "2.4.1"}))
        .await
        .unwrap();
    let bad = post(json!({"battery": 101})).await.unwrap();
    let empty = post(json!({})).await.unwrap();

    assert_eq!(ok.status(), 200);
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<serde_json::Value>().await.unwrap()["error"],
        "battery must be 0 to 100"
    );
    assert_eq!(empty.status(), 200, "every field is optional");
    let (battery, seen): (Option<i32>, Option<i64>) = app
        .db(move |conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::devices;
            devices::table
                .find(device_id)
                .select((devices::battery, devices::last_heartbeat_at))
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(battery, None, "the last heartbeat reported no battery");
    assert!(seen.is_some());
    let unknown_route = client.get(app.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(unknown_route.status(), 404);
}

#[tokio::test]
async fn the_same_scan_id_twice_in_one_batch_is_one_scan_with_one_answer() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();

    let (status, answer) = app
        .post_scans(
            &token,
            &batch(vec![scan("same", &code, "in"), scan("same", &code, "in")]),
        )
        .await;

    assert_eq!(status, 200);
    assert_eq!(
        results(&answer),
        [
            ("same".to_string(), "valid".to_string()),
            ("same".to_string(), "valid".to_string())
        ]
    );
    assert_eq!(app.count("scans").await, 1);
}

#[tokio::test]
async fn a_revoked_device_is_refused_within_two_seconds_even_while_it_keeps_scanning() {
    let app = spawn_app().await;
    let (token, device_id) = app.device_a("North").await;
    let codes = app.sell_tickets_a(2).await.ticket_codes;
    let (status, _) = app.post_scans(&token, &batch(vec![scan("1", &codes[0], "in")])).await;
    assert_eq!(status, 200);

    let voelgoed::db::DatabaseUrl::Sqlite(database) = app.services.settings.database.clone() else {
        unreachable!()
    };
    let revoke = |device: i64| {
        std::process::Command::new(env!("CARGO_BIN_EXE_voelgoed"))
            .args([
                "admin",
                "revoke-device",
                "--database",
                &database,
                "--device",
                &device.to_string(),
            ])
            .output()
            .unwrap()
    };
    let revoked = revoke(device_id);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert!(
        !revoke(device_id).status.success(),
        "a revoked device cannot be revoked again"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let (status, answer) = app.post_scans(&token, &batch(vec![scan("2", &codes[1], "in")])).await;

    assert_eq!(status, 401, "{answer}");
    assert_eq!(app.count("scans").await, 1);
}

#[tokio::test]
async fn a_batch_that_moves_one_ticket_several_times_is_decided_in_order() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(3).await.ticket_codes;
    let (a, b, c) = (&codes[0], &codes[1], &codes[2]);

    let (_, distinct) = app
        .post_scans(
            &token,
            &batch(vec![scan("1", a, "in"), scan("2", b, "in"), scan("3", c, "out")]),
        )
        .await;
    let (_, repeated) = app
        .post_scans(
            &token,
            &batch(vec![
                scan("4", a, "out"),
                scan("5", a, "in"),
                scan("6", a, "in"),
                scan("7", b, "out"),
            ]),
        )
        .await;

    let outcome = |answer: &serde_json::Value| results(answer).into_iter().map(|(_, r)| r).collect::<Vec<_>>();
    assert_eq!(outcome(&distinct), ["valid", "valid", "invalid"]);
    assert_eq!(outcome(&repeated), ["valid", "valid", "duplicate", "valid"]);
    assert_eq!(repeated["results"][2]["admitted_gate"], "North");
}

#[tokio::test]
async fn long_batches_admit_let_out_and_replay_like_short_ones() {
    long_batches_decided_like_short_ones(spawn_app().await).await;
}

#[tokio::test]
async fn long_batches_admit_let_out_and_replay_like_short_ones_on_postgres() {
    long_batches_decided_like_short_ones(spawn_postgres_app("voelgoed_scan_long").await).await;
}

/// Batches long enough to travel as JSON rows (entries, exits, duplicates, unknown
/// codes) get the answers one scan at a time would get.
async fn long_batches_decided_like_short_ones(app: TestApp) {
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(20).await.ticket_codes;
    let scans_of = |prefix: &str, codes: &[String], direction: &str| -> Vec<serde_json::Value> {
        codes
            .iter()
            .enumerate()
            .map(|(i, code)| scan(&format!("{prefix}{i}"), code, direction))
            .collect()
    };
    let unknown: Vec<String> = (0..5).map(|i| format!("NOPE{i}")).collect();
    let entries = batch([scans_of("in", &codes, "in"), scans_of("x", &unknown, "in")].concat());
    // 17 leave; 3 who stay inside try to enter again.
    let moves = batch(
        [
            scans_of("out", &codes[..17], "out"),
            scans_of("again", &codes[17..], "in"),
        ]
        .concat(),
    );
    let back = batch(scans_of("back", &codes[..17], "in"));

    let (status, first) = app.post_scans(&token, &entries).await;
    let (_, moved) = app.post_scans(&token, &moves).await;
    let (_, returned) = app.post_scans(&token, &back).await;
    let (_, replayed) = app.post_scans(&token, &entries).await;

    assert_eq!(status, 200, "{first}");
    let tally = |answer: &serde_json::Value| {
        results(answer).into_iter().fold([0, 0, 0], |mut t, (_, result)| {
            t[["valid", "duplicate", "invalid"]
                .iter()
                .position(|r| *r == result)
                .unwrap()] += 1;
            t
        })
    };
    assert_eq!(tally(&first), [20, 0, 5], "20 admitted, 5 unknown");
    assert_eq!(tally(&moved), [17, 3, 0], "17 let out, 3 already inside");
    assert!(moved["results"][19]["reason"].as_str().unwrap().contains("North"));
    assert_eq!(tally(&returned), [17, 0, 0], "after an exit, valid again");
    assert_eq!(replayed, first, "a resent long batch replays its first answers");
    assert_eq!(app.count("scans").await, 62, "nothing recorded twice");
}
