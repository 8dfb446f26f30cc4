//! Scan batches: answered in order and a resent batch replayed, one scan id twice, one
//! ticket moved several times in a batch, and long batches decided like short ones (on
//! SQLite and PostgreSQL where marked).

use crate::helpers::scans::results;
use crate::helpers::{batch, scan, spawn_app, TestApp};

async fn a_batch_is_answered_in_order_and_a_resent_batch_gets_its_first_answers(app: TestApp) {
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

/// Batches long enough to travel as JSON rows (entries, exits, duplicates, unknown
/// codes) get the answers one scan at a time would get.
async fn long_batches_admit_let_out_and_replay_like_short_ones(app: TestApp) {
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

crate::helpers::on_both_backends!(
    "sa_";
    a_batch_is_answered_in_order_and_a_resent_batch_gets_its_first_answers,
    long_batches_admit_let_out_and_replay_like_short_ones,
);
