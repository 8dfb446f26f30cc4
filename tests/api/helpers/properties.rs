//! Property tests against a running app (proptest): any text, JSON of any shape, nearly
//! right scan batches, and a runner that checks each case on the app's runtime.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Any text, control characters and all.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[\\x00-\\x1f\\x7f]{1,5}",
        Just(String::new()),
        "[0-9]{1,25}",
        "-?[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}",
    ]
}

/// JSON of any shape, nested a little.
pub fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        any_text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("scans".to_owned()),
                    Just("id".to_owned()),
                    Just("ticket_code".to_owned()),
                    Just("direction".to_owned()),
                    Just("scanned_at".to_owned()),
                    any_text()
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A scan batch that is almost right: every field drawn from good and bad values.
pub fn nearly_a_batch() -> impl Strategy<Value = serde_json::Value> {
    let direction = prop_oneof![Just("in".to_owned()), Just("out".to_owned()), any_text()];
    let scanned_at = prop_oneof![
        Just(chrono::Utc::now().to_rfc3339()),
        Just("2999-01-01T00:00:00Z".to_owned()),
        any_text()
    ];
    let one = (any_text(), any_text(), direction, scanned_at).prop_map(|(id, code, direction, at)| {
        serde_json::json!({ "id": id, "ticket_code": code, "direction": direction, "scanned_at": at })
    });
    prop::collection::vec(one, 0..4).prop_map(|scans| serde_json::json!({ "scans": scans }))
}

/// Runs `cases` of `strategy` against the app, each through `check` on the runtime.
pub fn check_property<S: Strategy>(
    runtime: &tokio::runtime::Runtime,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> futures_util::future::BoxFuture<'static, Result<(), TestCaseError>>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |value| runtime.block_on(check(value)));
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
