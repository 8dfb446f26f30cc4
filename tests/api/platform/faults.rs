//! Faults: a panicking scan writer restarts and its devices are told to retry; a
//! PostgreSQL that goes away answers devices 503 and comes back by itself; `/readyz`
//! says which dependency is missing; a pooled connection left inside a transaction is
//! never handed out again; a scan whose log sync failed is answered "retry", and its
//! resend replays the stored answer.

use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::{Connection, PgConnection, RunQueryDsl};
use voelgoed::db::{DatabaseUrl, DbConnection};

use crate::helpers::postgres::fresh_postgres_database;
use crate::helpers::{batch, scan, spawn_app_with, spawn_on, TestApp};

async fn readiness(app: &TestApp) -> (u16, serde_json::Value) {
    let response = reqwest::get(app.url("/readyz")).await.expect("readyz");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn a_panic_while_deciding_answers_retry_and_the_writer_goes_on() {
    let app = spawn_app_with(|s| s.writer_faults.panic_on_ticket_code = Some("PANIC-NOW".into())).await;
    let (token, _) = app.device_a("North").await;
    let code = app.place_order_a(1).await.ticket_codes[0].clone();

    let (status, answer) = app
        .post_scans(&token, &batch(vec![scan("p1", "PANIC-NOW", "in")]))
        .await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer["error"].as_str().unwrap_or_default().contains("send them again"),
        "{answer}"
    );

    // The writer restarted with a fresh connection: the next scans are decided.
    let (status, answer) = app.post_scans(&token, &batch(vec![scan("v1", &code, "in")])).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["result"], "valid");
    assert_eq!(app.count("scans").await, 1, "the panicked batch recorded nothing");
    assert_eq!(readiness(&app).await.0, 200);
}

#[tokio::test]
async fn readyz_reports_each_check() {
    let app = spawn_app_with(|_| {}).await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], true);
    let names: Vec<_> = body["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert!(
        names.contains(&"database".into()) && names.contains(&"scan_writer".into()),
        "{body}"
    );
    let head = reqwest::Client::new()
        .head(app.url("/readyz"))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(head.status(), 200);
}

/// Makes the database refuse every connection (and ends the open ones), as a restart
/// or failover of PostgreSQL would, until `allow` is called.
fn refuse_connections(admin_url: &str, name: &str, refuse: bool) {
    let mut admin = PgConnection::establish(admin_url).expect("PostgreSQL reachable");
    diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {}", !refuse))
        .execute(&mut admin)
        .expect("alter");
    if refuse {
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .execute(&mut admin)
        .expect("terminate");
    }
}

#[tokio::test]
async fn postgres_gone_answers_devices_503_and_service_resumes_by_itself() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let name = format!("voelgoed_outage_{}", std::process::id());
    let url = fresh_postgres_database(&admin_url, &name);
    let app = spawn_on(
        DatabaseUrl::parse(&url).expect("url"),
        |_| {},
        tempfile::tempdir().expect("dir"),
    )
    .await;
    let (token, _) = app.device_a("North").await;
    let codes = app.place_order_a(3).await.ticket_codes;
    let (status, _) = app
        .post_scans(&token, &batch(vec![scan("before", &codes[0], "in")]))
        .await;
    assert_eq!(status, 200);

    let (admin, db_name) = (admin_url.clone(), name.clone());
    tokio::task::spawn_blocking(move || refuse_connections(&admin, &db_name, true))
        .await
        .expect("refuse");
    let started = Instant::now();
    let (status, answer) = app
        .post_scans(&token, &batch(vec![scan("during", &codes[1], "in")]))
        .await;
    assert_eq!(
        status, 503,
        "a scan that was not committed is never acknowledged: {answer}"
    );
    assert!(answer["error"].is_string(), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false);

    let (admin, db_name) = (admin_url.clone(), name.clone());
    tokio::task::spawn_blocking(move || refuse_connections(&admin, &db_name, false))
        .await
        .expect("allow");
    // The device retries the same scan, as it was told to, until it is acknowledged.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, answer) = app
            .post_scans(&token, &batch(vec![scan("during", &codes[1], "in")]))
            .await;
        if status == 200 {
            assert_eq!(answer["results"][0]["result"], "valid", "{answer}");
            break;
        }
        assert_eq!(status, 503, "{answer}");
        assert!(Instant::now() < deadline, "the scan path did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(readiness(&app).await.0, 200);
    assert_eq!(app.count("scans").await, 2);
}

#[tokio::test]
async fn a_connection_left_inside_a_transaction_never_returns_to_the_pool() {
    let dir = tempfile::tempdir().expect("dir");
    let url = DatabaseUrl::parse(dir.path().join("pool.sqlite").to_str().expect("path")).expect("url");
    let budget = voelgoed::db::PoolBudget {
        connections: 1,
        wait: Duration::from_secs(2),
    };
    let pool = voelgoed::db::connect_with(&url, budget, Duration::from_secs(1)).expect("pool");
    tokio::task::spawn_blocking(move || {
        {
            let mut conn = pool.get().expect("connection");
            let DbConnection::Sqlite(sqlite) = &mut *conn else {
                unreachable!()
            };
            AnsiTransactionManager::begin_transaction(sqlite).expect("begin");
            // Dropped mid-transaction, as a panicking or buggy caller would leave it.
        }
        let mut conn = pool.get().expect("a fresh connection");
        let DbConnection::Sqlite(sqlite) = &mut *conn else {
            unreachable!()
        };
        assert_eq!(
            AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth(),
            Ok(None),
            "the next caller got a connection inside someone else's transaction"
        );
    })
    .await
    .expect("pool task");
}

#[tokio::test]
async fn scans_are_answered_only_after_the_log_reached_the_disk() {
    let app = spawn_app_with(|_| {}).await;
    let (token, _) = app.device_a("North").await;
    let code = app.place_order_a(1).await.ticket_codes[0].clone();

    // The commit went through but its sync failed: the device is told to send again.
    app.services.settings.writer_faults.failing_log_syncs.arm(1);
    let (status, answer) = app.post_scans(&token, &batch(vec![scan("s1", &code, "in")])).await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("disk did not confirm"),
        "{answer}"
    );
    assert_eq!(app.count("scans").await, 1, "the scan was committed before its sync");

    // The resend replays the stored decision instead of deciding again ("already inside").
    let (status, answer) = app.post_scans(&token, &batch(vec![scan("s1", &code, "in")])).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["result"], "valid", "{answer}");
    assert_eq!(app.count("scans").await, 1);
}
