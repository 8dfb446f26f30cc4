//! The devices behind the API: tokens that are unknown, missing or revoked, heartbeats,
//! and a revoked device refused within two seconds.

use serde_json::json;

use crate::helpers::{batch, scan, spawn_app};

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
