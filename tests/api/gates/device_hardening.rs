//! The device API against an attacker (issue 22, "found in the code"): made-up tokens
//! cost the gates' pool no query each, and a device's clock cannot get round the
//! once-per-day rule.

use std::time::Instant;

use crate::helpers::{batch, scan, spawn_app, TestApp};

async fn token_reads(app: &TestApp) -> f64 {
    let text = app
        .client()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("voelgoed_device_token_reads_total "))
        .expect("the token reads are counted")
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn made_up_tokens_cost_a_few_snapshot_reads_a_second_not_a_query_each() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let before = token_reads(&app).await;
    let started = Instant::now();

    let mut refused = 0;
    for round in 0..20 {
        let posts = (0..25).map(|i| {
            let made_up = format!("made-up-{round}-{i}-{}", voelgoed::auth::random_token());
            let app = &app;
            async move { app.post_scans(&made_up, &batch(vec![scan("x", "NOPE", "in")])).await.0 }
        });
        refused += futures_util::future::join_all(posts)
            .await
            .into_iter()
            .filter(|s| *s == 401)
            .count();
    }

    let elapsed = started.elapsed();
    let reads = token_reads(&app).await - before;
    assert_eq!(refused, 500, "every made-up token is refused");
    let bound = (elapsed.as_secs_f64() / voelgoed::scanning::RECHECK_AFTER.as_secs_f64()).ceil() + 1.0;
    assert!(reads <= bound, "{reads} reads for 500 made-up tokens in {elapsed:?}");
    let (status, _) = app.post_scans(&token, &batch(vec![scan("real", "NOPE", "in")])).await;
    assert_eq!(status, 200, "a real device is still served");
}

#[tokio::test]
async fn a_device_created_a_moment_ago_is_known_at_its_first_post() {
    let app = spawn_app().await;
    let (first, _) = app.device_a("North").await;
    let probe = batch(vec![scan("probe", "NOPE", "in")]);
    assert_eq!(app.post_scans(&first, &probe).await.0, 200, "the snapshot is read");

    let (second, _) = app.device_a("South").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let (status, answer) = app.post_scans(&second, &batch(vec![scan("s-1", &code, "in")])).await;

    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["result"], "valid");
}

#[tokio::test]
async fn a_crowd_of_readiness_checks_sends_the_scan_writer_about_one_ping_a_second() {
    let app = spawn_app().await;
    let before = app.services.scan_writer.pings_sent();
    let started = Instant::now();

    let checks = (0..200).map(|_| {
        let (client, url) = (app.client(), app.url("/readyz"));
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(checks).await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let pings = app.services.scan_writer.pings_sent() - before;
    let bound = started.elapsed().as_secs() + 1;
    assert!(pings <= bound, "{pings} pings in the scans' queue for 200 checks");
    assert!(pings >= 1, "the writer is asked");
}
