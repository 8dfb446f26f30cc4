//! A scan id a device sends again with another ticket code is a device bug: that scan
//! is answered 409 in its own result and recorded nowhere, the batch's other scans as
//! usual, and the first scan's answer stands for the first scan only.

use serde_json::json;

use crate::helpers::postgres::spawn_postgres_app;
use crate::helpers::{batch, scan, spawn_app, TestApp};

crate::helpers::on_both_backends!(
    a_scan_id_reused_for_another_ticket_is_a_conflict_and_records_nothing:
    spawn_app(),
    spawn_postgres_app("voelgoed_scan_id_conflict"),
);

async fn a_scan_id_reused_for_another_ticket_is_a_conflict_and_records_nothing(app: TestApp) {
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(3).await.ticket_codes;
    let (status, first) = app.post_scans(&token, &batch(vec![scan("s1", &codes[0], "in")])).await;
    assert_eq!((status, first["results"][0]["result"].clone()), (200, json!("valid")));

    // The id again with another ticket, beside a fresh scan and an honest resend.
    let (status, answer) = app
        .post_scans(
            &token,
            &batch(vec![
                scan("s1", &codes[1], "in"),
                scan("s2", &codes[2], "in"),
                scan("s1", &codes[0], "in"),
            ]),
        )
        .await;

    assert_eq!(status, 200, "the batch is answered, scan by scan: {answer}");
    assert_eq!(
        answer["results"][0],
        json!({"id": "s1", "result": "conflict", "status": 409,
               "reason": "scan id already used for another ticket"})
    );
    assert_eq!(answer["results"][1]["result"], "valid");
    assert_eq!(answer["results"][2], first["results"][0], "an honest resend replays");
    assert_eq!(app.count("scans").await, 2, "the conflicting scan is recorded nowhere");

    // Its ticket was not let in: scanned under a fresh id, it is valid.
    let (_, later) = app.post_scans(&token, &batch(vec![scan("s3", &codes[1], "in")])).await;
    assert_eq!(later["results"][0]["result"], "valid");
}

#[tokio::test]
async fn one_batch_reusing_an_id_for_another_ticket_gets_a_conflict_for_the_second() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(2).await.ticket_codes;

    let (status, answer) = app
        .post_scans(
            &token,
            &batch(vec![scan("same", &codes[0], "in"), scan("same", &codes[1], "in")]),
        )
        .await;

    assert_eq!(status, 200);
    assert_eq!(answer["results"][0]["result"], "valid");
    assert_eq!(answer["results"][1]["result"], "conflict");
    assert_eq!(answer["results"][1]["status"], 409);
    assert_eq!(app.count("scans").await, 1);
}
