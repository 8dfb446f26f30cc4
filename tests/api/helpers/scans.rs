//! A device's scans through the device API: one scan's answer and a batch's results.

use super::{batch, scan, TestApp};

pub fn results(answer: &serde_json::Value) -> Vec<(String, String)> {
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

pub async fn one(app: &TestApp, token: &str, id: &str, code: &str, direction: &str) -> serde_json::Value {
    let (status, answer) = app.post_scans(token, &batch(vec![scan(id, code, direction)])).await;
    assert_eq!(status, 200, "{answer}");
    answer["results"][0].clone()
}
