//! Migrations on empty databases, SQLite and PostgreSQL, through the same code path, and
//! a clear message when the database cannot be opened.

use std::process::Command;

use crate::helpers::postgres::fresh_postgres_database;
use crate::helpers::{batch, scan, spawn_on};
use voelgoed::db::DatabaseUrl;

#[tokio::test]
async fn an_empty_sqlite_database_is_migrated_at_start_up_and_again_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.sqlite");

    let first = Command::new(env!("CARGO_BIN_EXE_voelgoed"))
        .args(["migrate", "--database"])
        .arg(&path)
        .output()
        .unwrap();
    let again = Command::new(env!("CARGO_BIN_EXE_voelgoed"))
        .args(["migrate", "--database"])
        .arg(format!("sqlite://{}", path.display()))
        .output()
        .unwrap();

    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(String::from_utf8_lossy(&first.stderr).contains("applied migration"));
    assert!(!String::from_utf8_lossy(&again.stderr).contains("applied migration"));
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_exits_with_a_clear_message() {
    for database in [
        "/nonexistent-dir/voelgoed.sqlite",
        "postgres://nobody@127.0.0.1:1/none",
        "mysql://x",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_voelgoed"))
            .args(["serve", "--addr", "127.0.0.1:0", "--database", database])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{database}: {stderr}");
        assert!(stderr.contains("voelgoed: "), "{database}: {stderr}");
        assert!(!stderr.contains("panicked"), "{database}: {stderr}");
    }
}

/// PostgreSQL from the README's test command (`VOELGOED_TEST_POSTGRES`): a fresh
/// database, migrated by the app at start-up, then used through real HTTP.
#[tokio::test]
async fn postgres_runs_the_same_console_from_an_empty_database() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let name = format!("voelgoed_test_{}", std::process::id());
    let url = fresh_postgres_database(&admin_url, &name);

    let app = spawn_on(DatabaseUrl::parse(&url).unwrap(), |_| {}, tempfile::tempdir().unwrap()).await;
    app.sell_tickets_a(2).await;
    let client = app.signed_in("owner@a.test").await;
    let page = app.page(&client, &format!("/events/{}", app.fixture.event_a)).await;
    let other = client
        .get(app.url(&format!("/events/{}", app.fixture.event_b)))
        .send()
        .await
        .unwrap();

    assert_eq!(
        crate::helpers::text_of(&page, r#"[data-metric="sold"]"#).as_deref(),
        Some("2")
    );
    assert!(page.contains("€91.00"), "gross of two €45.50 tickets");
    assert_eq!(other.status(), 404);
    assert_eq!(app.sign_in(&app.client(), "owner@a.test", "wrong").await.status(), 401);
    assert_eq!(app.count("sessions").await, 1);
}

/// Two instances on one PostgreSQL database, each with its own scan writer: the same
/// ticket posted to both at the same instant is still valid exactly once.
#[tokio::test]
async fn postgres_admits_a_ticket_once_across_two_instances() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let url = fresh_postgres_database(&admin_url, &format!("voelgoed_scan_{}", std::process::id()));
    let first = spawn_on(DatabaseUrl::parse(&url).unwrap(), |_| {}, tempfile::tempdir().unwrap()).await;
    let second = crate::helpers::another_instance(&first).await;
    let (north, _) = first.device_a("North").await;
    let (south, _) = second.device_a("South").await;

    for round in 0..10 {
        let code = first.sell_tickets_a(1).await.ticket_codes[0].clone();
        let at_north = batch(vec![scan(&format!("n{round}"), &code, "in")]);
        let at_south = batch(vec![scan(&format!("s{round}"), &code, "in")]);
        let ((_, a), (_, b)) = tokio::join!(
            first.post_scans(&north, &at_north),
            second.post_scans(&south, &at_south)
        );
        let mut outcomes = vec![
            a["results"][0]["result"].to_string(),
            b["results"][0]["result"].to_string(),
        ];
        outcomes.sort();
        assert_eq!(outcomes, [r#""duplicate""#, r#""valid""#], "round {round}");
    }
}
