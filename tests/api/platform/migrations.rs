//! Migrations on empty databases, SQLite and PostgreSQL, through the same code path, and
//! a clear message when the database cannot be opened.

use std::process::Command;

use crate::helpers::postgres::fresh_postgres_database;
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;

use crate::helpers::{batch, scan, spawn_app, spawn_on};
use voelgoed::db::{DatabaseUrl, DbConnection};

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

/// SQLite's scans table built again without its parent keys (2026-12-10): a database
/// that already holds scans keeps every one, with its id and answer, its indexes come
/// back, and the gates go on answering from them (a resent scan id gets its first
/// answer; a new scan of an admitted ticket is a duplicate).
#[tokio::test]
async fn sqlites_scans_rebuilt_without_parent_keys_keep_every_scan() {
    const REBUILD: &str = "2026-12-10-000010_scan_parent_keys_embedded";
    let down = std::fs::read_to_string(format!("migrations/sqlite/{REBUILD}/down.sql")).unwrap();
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(2).await.ticket_codes;
    let first = batch(vec![
        scan("m1", &codes[0], "in"),
        scan("m2", &codes[0], "in"),
        scan("m3", "NOPE", "in"),
    ]);
    let (status, answered) = app.post_scans(&token, &first).await;
    assert_eq!(status, 200, "{answered}");

    // Back to the table with its keys, as a database from before this migration has it.
    let (keys_before, rows_before) = app
        .db(move |conn| {
            let DbConnection::Sqlite(sqlite) = conn else {
                panic!("SQLite")
            };
            sqlite.batch_execute(&down).unwrap();
            diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = '20261210000010'")
                .execute(sqlite)
                .unwrap();
            (parent_keys_of_scans(sqlite), every_scan(sqlite))
        })
        .await;
    voelgoed::db::migrate(&app.services.pool).unwrap();
    let (keys_after, rows_after, indexes) = app
        .db(|conn| {
            let DbConnection::Sqlite(sqlite) = conn else {
                panic!("SQLite")
            };
            (
                parent_keys_of_scans(sqlite),
                every_scan(sqlite),
                indexes_of_scans(sqlite),
            )
        })
        .await;
    let (_, resent) = app.post_scans(&token, &first).await;
    let (_, again) = app.post_scans(&token, &batch(vec![scan("m4", &codes[0], "in")])).await;

    assert_eq!(keys_before, ["devices", "events", "gates", "organizations", "tickets"]);
    assert!(keys_after.is_empty(), "{keys_after:?}");
    assert_eq!(rows_before.len(), 3);
    assert_eq!(rows_after, rows_before);
    assert_eq!(
        indexes,
        [
            "scans_device_scan",
            "scans_org_event_arrivals",
            "scans_org_event_id",
            "scans_org_event_scanned_at",
            "scans_org_event_ticket"
        ]
    );
    assert_eq!(resent, answered);
    assert_eq!(again["results"][0]["result"], "duplicate");
    assert_eq!(app.count("scans").await, 4);
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Named {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn parent_keys_of_scans(conn: &mut diesel::SqliteConnection) -> Vec<String> {
    let sql = "SELECT DISTINCT \"table\" AS name FROM pragma_foreign_key_list('scans') ORDER BY 1";
    names(conn, sql)
}

fn indexes_of_scans(conn: &mut diesel::SqliteConnection) -> Vec<String> {
    names(conn, "SELECT name FROM pragma_index_list('scans') ORDER BY 1")
}

/// Every scan, each column of it, as one line of text.
fn every_scan(conn: &mut diesel::SqliteConnection) -> Vec<String> {
    let sql = "SELECT concat_ws('|', id, organization_id, event_id, device_scan_id, ticket_code, ticket_id, \
               gate_id, device_id, direction, scanned_at, received_at, result, reason, admitted_at, admitted_gate) \
               AS name FROM scans ORDER BY id";
    names(conn, sql)
}

fn names(conn: &mut diesel::SqliteConnection, sql: &str) -> Vec<String> {
    use diesel::RunQueryDsl;
    let rows: Vec<Named> = diesel::sql_query(sql).load(conn).unwrap();
    rows.into_iter().map(|row| row.name).collect()
}
