//! Bad scan batches on the device API: a JSON 4xx naming the problem, nothing recorded;
//! random and nearly right batches never a 5xx, recording only what was acknowledged.

use proptest::prelude::*;

use crate::helpers::properties::{any_json, check_property, nearly_a_batch};
use crate::helpers::{batch, scan, spawn_app};

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

#[test]
fn random_scan_batches_never_get_a_5xx_and_record_only_what_was_acknowledged() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = std::sync::Arc::new(runtime.block_on(spawn_app()));
    let (token, _) = runtime.block_on(app.device_a("North"));
    let bodies = prop_oneof![any_json(), nearly_a_batch()];
    check_property(&runtime, 160, bodies, |body| {
        let (app, token) = (app.clone(), token.clone());
        Box::pin(async move {
            let before = app.count("scans").await;
            let (status, answer) = app.post_scans(&token, &body).await;
            let after = app.count("scans").await;
            prop_assert!(status < 500, "{status} for {body}: {answer}");
            if status == 200 {
                let sent = body["scans"].as_array().map_or(0, Vec::len);
                prop_assert_eq!(answer["results"].as_array().map_or(0, Vec::len), sent);
                prop_assert!(after - before <= sent as i64);
            } else {
                prop_assert!(answer["error"].is_string(), "{answer}");
                prop_assert_eq!(before, after, "a refused batch recorded scans: {}", body);
            }
            Ok(())
        })
    });
}
