//! What a scanner keeps for deciding offline (`GET /api/v1/tickets`) and how it uploads
//! what it decided (`decided_offline`), on both backends: the list holds the device's
//! event only, under hashed codes, with each ticket's state at that gate; an unchanged
//! list is a 304; a scan decided offline otherwise than the server is an offline
//! conflict, written down once; junk in `decided_offline` is refused.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{batch, on_both_backends, scan, TestApp};

/// The key the list holds a code under: the first 64 bits of its SHA-256, in hex.
fn key_of(code: &str) -> String {
    Sha256::digest(code.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn tickets(app: &TestApp, token: &str, etag: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(app.url("/api/v1/tickets"))
        .bearer_auth(token);
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag);
    }
    request.send().await.unwrap()
}

async fn the_list_holds_the_events_tickets_hashed_with_their_state_at_the_gate(app: TestApp) {
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(3).await.ticket_codes;
    let other_org = app.place_ticket_b().await;
    let inside = batch(vec![scan("offline-1", &codes[0], "in")]);
    assert_eq!(app.post_scans(&token, &inside).await.0, 200);
    let refunded = codes[1].clone();
    app.db(move |conn| {
        use diesel::prelude::*;
        use voelgoed::db::schema::tickets;
        diesel::update(tickets::table.filter(tickets::code.eq(refunded)))
            .set(tickets::status.eq("refunded"))
            .execute(conn)
            .unwrap();
    })
    .await;

    let response = tickets(&app, &token, None).await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let list: Value = response.json().await.unwrap();
    let states = list["tickets"].as_object().unwrap();
    assert_eq!(states.len(), 3, "the event's tickets only: {states:?}");
    assert_eq!(states[&key_of(&codes[0])], "in");
    assert_eq!(states[&key_of(&codes[1])], "refunded");
    assert_eq!(states[&key_of(&codes[2])], "out");
    assert!(!states.contains_key(&key_of(&other_org)));
    let body = list.to_string();
    assert!(
        codes.iter().all(|code| !body.contains(code.as_str())),
        "no code in the clear"
    );

    assert_eq!(tickets(&app, &token, Some(&etag)).await.status(), 304, "unchanged");
    assert_eq!(tickets(&app, "not-a-device", None).await.status(), 401);
}

async fn a_scan_decided_offline_otherwise_is_a_conflict_once_and_junk_is_refused(app: TestApp) {
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(2).await.ticket_codes;
    let mut junk = scan("offline-junk", &codes[0], "in");
    junk["decided_offline"] = "maybe".into();
    let (status, answer) = app.post_scans(&token, &batch(vec![junk])).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("decided_offline"));
    assert_eq!(app.count("scans").await, 0, "the batch records nothing");

    // The scanner thought the first one inside already; the server admits it. The second
    // it decided as the server does: no conflict.
    let mut otherwise = scan("offline-2", &codes[0], "in");
    otherwise["decided_offline"] = "duplicate".into();
    let mut alike = scan("offline-3", &codes[1], "in");
    alike["decided_offline"] = "valid".into();
    let upload = batch(vec![otherwise, alike]);
    for _ in 0..2 {
        let (status, answer) = app.post_scans(&token, &upload).await;
        assert_eq!(
            (status, answer["results"][0]["result"].clone()),
            (200, "valid".into()),
            "the server's answer stands"
        );
    }
    let written: Vec<(String, String, String)> = app
        .db(|conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::offline_conflicts as c;
            c::table
                .select((c::device_scan_id, c::decided, c::answered))
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        written,
        vec![("offline-2".into(), "duplicate".into(), "valid".into())],
        "once, resent or not"
    );
}

on_both_backends!("offline_copy_";
    the_list_holds_the_events_tickets_hashed_with_their_state_at_the_gate,
    a_scan_decided_offline_otherwise_is_a_conflict_once_and_junk_is_refused,
);
