//! The writer decides many devices' batches together, in one transaction and a fixed
//! number of statements (`scanning::record_group`). Each batch must still be answered
//! as if it had been decided alone, in the group's order, on both backends: its own
//! tenant's tickets only, each ticket moved at its own gate, a ticket shared by two
//! batches decided in order, and a scan id sent twice in one group answered once.

use diesel::prelude::*;
use serde_json::json;
use voelgoed::db::schema::{scans, tickets};
use voelgoed::db::{DbConnection, Tenant};
use voelgoed::scanning::{record_group, DeviceBatch, Direction, GateDevice, RecordedScan, ScanAttempt};

use crate::helpers::{batch, scan, TestApp};

fn attempt(id: &str, code: &str, direction: Direction) -> ScanAttempt {
    ScanAttempt {
        device_scan_id: id.to_owned(),
        ticket_code: code.to_owned(),
        direction,
        scanned_at: voelgoed::db::now_ms(),
    }
}

fn device(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, gate: &str) -> GateDevice {
    let gate_id = voelgoed::provisioning::find_or_create_gate(conn, tenant, event_id, gate).expect("gate");
    let (device_id, _) =
        voelgoed::provisioning::create_device(conn, tenant, event_id, gate_id, &format!("{gate} scanner"))
            .expect("device");
    GateDevice {
        device_id,
        gate_id,
        event_id,
    }
}

/// The group decided in one committed transaction, as the writer does.
fn decide(conn: &mut DbConnection, group: &[DeviceBatch]) -> Vec<Vec<(String, Option<String>)>> {
    let answers: Vec<Vec<RecordedScan>> = conn.transaction(|c| record_group(c, group)).expect("group");
    answers
        .into_iter()
        .map(|batch| {
            let described = batch.into_iter().map(|a| (a.result.as_stored().to_owned(), a.reason));
            described.collect()
        })
        .collect()
}

fn valid() -> (String, Option<String>) {
    ("valid".into(), None)
}

fn refused(result: &str, reason: &str) -> (String, Option<String>) {
    (result.into(), Some(reason.into()))
}

/// Where each ticket is inside: its gate, or None.
fn inside_gates(conn: &mut DbConnection, codes: &[&str]) -> Vec<Option<i64>> {
    codes
        .iter()
        .map(|code| {
            tickets::table
                .filter(tickets::code.eq(*code))
                .select(tickets::inside_gate_id)
                .first(conn)
                .expect("ticket")
        })
        .collect()
}

async fn a_group_answers_each_batch_as_if_it_were_alone(app: TestApp) {
    let codes = app.sell_tickets_a(26).await.ticket_codes;
    let code_b = app.place_ticket_b().await;
    let (org_a, org_b, event_a, event_b) = (
        app.fixture.org_a,
        app.fixture.org_b,
        app.fixture.event_a,
        app.fixture.event_b,
    );
    app.db(move |conn| {
        let north = device(conn, &org_a, event_a, "North");
        let south = device(conn, &org_a, event_a, "South");
        let gate_b = device(conn, &org_b, event_b, "B gate");
        let of = |tenant, device, attempts| DeviceBatch {
            tenant,
            device,
            attempts,
        };

        // Apart: three devices, two tenants, entries and an exit, one JSON-sized batch.
        let north_scans = [
            attempt("n1", &codes[0], Direction::In),
            attempt("n2", &codes[1], Direction::In),
        ];
        let south_scans = [
            attempt("s1", &codes[2], Direction::In),
            attempt("s2", &codes[3], Direction::Out),
        ];
        let at_b = [
            attempt("b1", &codes[4], Direction::In),
            attempt("b2", &code_b, Direction::In),
        ];
        let answers = decide(
            conn,
            &[
                of(&org_a, north, &north_scans),
                of(&org_a, south, &south_scans),
                of(&org_b, gate_b, &at_b),
            ],
        );
        assert_eq!(
            answers,
            [
                vec![valid(), valid()],
                vec![valid(), refused("invalid", "not inside: no entry to exit from")],
                vec![refused("invalid", "unknown ticket code"), valid()],
            ]
        );
        let gates = inside_gates(conn, &[&codes[0], &codes[1], &codes[2], &codes[3], &codes[4]]);
        let (at_north, at_south) = (Some(north.gate_id), Some(south.gate_id));
        assert_eq!(
            gates,
            [at_north, at_north, at_south, None, None],
            "each ticket inside at its own gate"
        );

        // Not apart: a ticket leaving at one gate and entering at another, and a scan id
        // sent again in the same group, are decided in the group's order.
        let out_north = [attempt("n3", &codes[0], Direction::Out)];
        let in_south = [attempt("s3", &codes[0], Direction::In)];
        let answers = decide(
            conn,
            &[
                of(&org_a, north, &out_north),
                of(&org_a, south, &in_south),
                of(&org_a, north, &out_north),
            ],
        );
        assert_eq!(answers, [vec![valid()], vec![valid()], vec![valid()]]);
        assert_eq!(inside_gates(conn, &[&codes[0]]), [at_south]);

        // Long enough for JSON rows: 20 newcomers over two gates and one already inside.
        let many_north: Vec<_> = (5..15)
            .map(|n| attempt(&format!("n-{n}"), &codes[n], Direction::In))
            .collect();
        let mut many_south: Vec<_> = (15..25)
            .map(|n| attempt(&format!("s-{n}"), &codes[n], Direction::In))
            .collect();
        many_south.push(attempt("s-again", &codes[1], Direction::In));
        let answers = decide(conn, &[of(&org_a, north, &many_north), of(&org_a, south, &many_south)]);
        assert!(answers[0].iter().all(|a| *a == valid()), "{answers:?}");
        assert!(answers[1][..10].iter().all(|a| *a == valid()), "{answers:?}");
        assert_eq!(answers[1][10].0, "duplicate");
        let long: Vec<&str> = codes[5..25].iter().map(String::as_str).collect();
        let expected: Vec<_> = (0..20).map(|n| if n < 10 { at_north } else { at_south }).collect();
        assert_eq!(inside_gates(conn, &long), expected);

        let stored: i64 = scans::table.count().get_result(conn).expect("count");
        assert_eq!(
            stored,
            6 + 2 + 21,
            "each new scan stored once, the resent one not again"
        );
    })
    .await;
}

/// Through the device API: many devices at once (the writer groups what waits), each
/// with its own ticket and one ticket shown at every gate. Each device's own ticket is
/// let in; the shared one exactly once.
async fn many_devices_at_once_each_get_their_own_answer(app: TestApp) {
    let codes = app.sell_tickets_a(24).await.ticket_codes;
    let shared = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let mut tokens = Vec::new();
    for n in 0..24 {
        tokens.push(app.device_a(&format!("Gate {}", n % 4)).await.0);
    }
    let posts = tokens.iter().enumerate().map(|(n, token)| {
        let body = batch(vec![
            scan(&format!("own-{n}"), &codes[n], "in"),
            scan(&format!("shared-{n}"), &shared, "in"),
        ]);
        let app = &app;
        async move { app.post_scans(token, &body).await }
    });
    let answers = futures_util::future::join_all(posts).await;
    let mut shared_valid = 0;
    for (n, (status, body)) in answers.iter().enumerate() {
        assert_eq!(*status, 200, "device {n}");
        assert_eq!(body["results"][0]["result"], json!("valid"), "device {n}'s own ticket");
        let shared = &body["results"][1]["result"];
        assert!(*shared == json!("valid") || *shared == json!("duplicate"), "{shared}");
        shared_valid += usize::from(*shared == json!("valid"));
    }
    assert_eq!(shared_valid, 1, "the ticket shown at every gate is let in once");
    let inside = app
        .db(|conn| {
            tickets::table
                .filter(tickets::inside_since.is_not_null())
                .count()
                .get_result::<i64>(conn)
        })
        .await;
    assert_eq!(inside.expect("count"), 25);
}

crate::helpers::on_both_backends!("sg_"; a_group_answers_each_batch_as_if_it_were_alone, many_devices_at_once_each_get_their_own_answer);
