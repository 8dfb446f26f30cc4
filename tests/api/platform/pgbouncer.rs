//! Through a real PgBouncer (1.18, `pool_mode = transaction`, 10 server connections):
//! diesel's statement cache breaks there and `?pooler=transaction` turns it off; the
//! timeouts are the server's and every statement keeps one; the demo migrates, seeds
//! and serves two instances sharing Redis; scans posted to both are stored exactly once,
//! also while PgBouncer is killed and started again.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::{Connection, ExpressionMethods, PgConnection, QueryDsl, RunQueryDsl};
use voelgoed::db::{self, schema::organizations, DatabaseUrl, DbConnection, PoolBudget};

use crate::helpers::pgbouncer::{admin_url, fresh_database_through, scaled_out_through, PgBouncer};
use crate::helpers::scaled::{counters_equal_a_recount, uuid};
use crate::helpers::{batch, browser_like_client, scan, sign_in_at, test_redis, text_of};

/// One query with a bind, as the pages' queries are: the statement diesel caches.
fn organizations_above(conn: &mut PgConnection, id: i64) -> diesel::QueryResult<i64> {
    organizations::table
        .filter(organizations::id.gt(id))
        .count()
        .get_result(conn)
}

fn pg(conn: &mut DbConnection) -> &mut PgConnection {
    match conn {
        DbConnection::Postgresql(pg) => pg,
        DbConnection::Sqlite(_) => panic!("a PostgreSQL connection"),
    }
}

/// 16 connections (more than PgBouncer's 10 server connections) run the same cached
/// query: with diesel's statement cache on, names clash on shared server connections,
/// the failure the issue reports; with `?pooler=transaction`, every answer is right.
#[tokio::test]
async fn the_statement_cache_breaks_behind_pgbouncer_and_the_pooler_setting_fixes_it() {
    let bouncer = PgBouncer::start().await;
    let url = fresh_database_through(&bouncer, "pgb_cache", 5_000);
    let pool = db::connect_named(&url, "pages", budget(16), Duration::from_secs(5)).unwrap();
    db::migrate(&pool).unwrap();
    pool.get()
        .map(|mut c| voelgoed::provisioning::create_organization(&mut c, "Org", "UTC").unwrap())
        .unwrap();
    let DatabaseUrl::Postgres(pooled) = url.clone() else {
        unreachable!()
    };
    let (cached, _) = pooled.split_once('?').unwrap();
    let cached = cached.to_owned();

    let failures = tokio::task::spawn_blocking(move || {
        let cached_failures = on_16_threads(move || PgConnection::establish(&cached).unwrap(), |c| c);
        let pooled_failures = on_16_threads(move || pool.get().unwrap(), |c| pg(c));
        (cached_failures, pooled_failures)
    })
    .await
    .unwrap();

    assert!(
        failures.0.iter().any(|e| e.contains("prepared statement")),
        "the statement cache should clash behind PgBouncer: {:?}",
        failures.0
    );
    assert_eq!(failures.1, Vec::<String>::new(), "with ?pooler=transaction");
}

fn budget(connections: u32) -> PoolBudget {
    PoolBudget {
        connections,
        wait: Duration::from_secs(10),
    }
}

/// Runs `organizations_above(0)` 20 times on each of 16 threads, each with its own
/// connection held throughout; the failures (a wrong count is one).
fn on_16_threads<C: 'static>(
    open: impl Fn() -> C + Send + Sync + Clone + 'static,
    inner: fn(&mut C) -> &mut PgConnection,
) -> Vec<String> {
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let open = open.clone();
            std::thread::spawn(move || {
                let mut conn = open();
                (0..20)
                    .map(|_| organizations_above(inner(&mut conn), 0))
                    .filter_map(|answer| match answer {
                        Ok(1) => None,
                        Ok(n) => Some(format!("counted {n}")),
                        Err(e) => Some(e.to_string()),
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
}

/// Behind the pooler the app refuses a server that would run statements without a
/// timeout; with the server's defaults every statement has one, outside a transaction
/// and inside; no named statement is left on a server connection. Directly, the cache
/// stays on.
#[tokio::test]
async fn behind_pgbouncer_every_statement_keeps_a_timeout_and_no_statement_is_named() {
    let bouncer = PgBouncer::start().await;
    let unlimited = fresh_database_through(&bouncer, "pgb_no_timeouts", 0);
    let refused = db::connect(&unlimited).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("statement_timeout"), "refused: {refused:?}");

    let url = fresh_database_through(&bouncer, "pgb_timeouts", 1_000);
    let pool = db::connect_named(&url, "pages", budget(4), Duration::from_secs(60)).unwrap();
    db::migrate(&pool).unwrap();
    let (outside, inside, named) = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        let sleep = |c: &mut DbConnection| {
            let started = Instant::now();
            let answer = diesel::sql_query("SELECT pg_sleep(3)").execute(c);
            (answer.map_err(|e| e.to_string()), started.elapsed())
        };
        let outside = sleep(&mut conn);
        let inside = conn.transaction(|c| Ok::<_, diesel::result::Error>(sleep(c))).unwrap();
        let named = conn
            .transaction(|c| {
                organizations_above(pg(c), 0)?;
                prepared_statements(pg(c))
            })
            .unwrap();
        (outside, inside, named)
    })
    .await
    .unwrap();
    for (where_, (answer, took)) in [("outside a transaction", outside), ("inside one", inside)] {
        let error = answer.expect_err(where_);
        assert!(error.contains("statement timeout"), "{where_}: {error}");
        assert!(took < Duration::from_millis(2_500), "{where_}: {took:?}");
    }
    assert_eq!(named, 0, "no named statement behind the pooler");

    let DatabaseUrl::Postgres(pooled) = url else {
        unreachable!()
    };
    let database = pooled.split_once('?').unwrap().0.rsplit('/').next().unwrap().to_owned();
    let direct = format!("{}/{database}", admin_url().rsplit_once('/').unwrap().0);
    let pool = db::connect(&DatabaseUrl::parse(&direct).unwrap()).unwrap();
    let named = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        organizations_above(pg(&mut conn), 0).unwrap();
        prepared_statements(pg(&mut conn)).unwrap()
    })
    .await
    .unwrap();
    assert!(named > 0, "directly, diesel's statement cache stays on");
}

fn prepared_statements(conn: &mut PgConnection) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM pg_prepared_statements").get_result(conn)?;
    Ok(count.n)
}

/// A `voelgoed` process, ended with the test however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `voelgoed args…` and reads its output up to the line starting with `serving`;
/// the process and the base URL on that line.
fn start(args: &[&str], serving: &str) -> (Process, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voelgoed"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let process = Process(child);
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix(serving)
                .map(|url| url.trim_end_matches("/login").to_owned())
        })
        .unwrap_or_else(|| panic!("{args:?} did not serve"));
    // Keep reading, or its next line meets a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (process, base)
}

/// One number per scan monitor card (valid, duplicate, invalid, exits).
fn monitor_counts(page: &str) -> [i64; 4] {
    ["valid", "duplicate", "invalid", "exits"].map(|metric| {
        let text = text_of(page, &format!(r#"[data-metric="{metric}"]"#)).unwrap_or_default();
        text.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(-1)
    })
}

#[tokio::test]
async fn the_demo_through_pgbouncer_serves_two_instances_and_stores_each_scan_once() {
    let bouncer = PgBouncer::start().await;
    let DatabaseUrl::Postgres(url) = fresh_database_through(&bouncer, "pgb_demo", 5_000) else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("mail.log");
    let mail = mail.to_str().unwrap();
    let redis = test_redis();
    let prefix = format!("test-pgb-demo-{}", std::process::id());
    let shared = [
        "--database",
        &url,
        "--redis",
        &redis,
        "--redis-prefix",
        &prefix,
        "--mail-log",
        mail,
    ];
    let quiet = [
        "--live-orders",
        "300",
        "--orders-per-second",
        "0",
        "--scans-per-second",
        "0",
    ];
    let demo_args = [&["demo", "--addr", "127.0.0.1:0"][..], &shared, &quiet].concat();
    let (_demo, a) = start(&demo_args, "Voelgoed demo console: ");
    let serve_args = [&["serve", "--addr", "127.0.0.1:0"][..], &shared].concat();
    let (_serve, b) = start(&serve_args, "Voelgoed console listening on ");

    let mut direct = PgConnection::establish(&direct_url(&url)).unwrap();
    let event: i64 = voelgoed::db::schema::events::table
        .filter(voelgoed::db::schema::events::name.eq("Voelgoed Summer Festival"))
        .select(voelgoed::db::schema::events::id)
        .first(&mut direct)
        .unwrap();
    let mut owners = Vec::new();
    for base in [&a, &b] {
        let owner = browser_like_client();
        let signed = sign_in_at(base, &owner, "owner@demo.test", "demo-owner").await;
        assert_eq!(signed.status(), 303, "sign-in on {base}");
        for path in [
            format!("/events/{event}"),
            "/orders".into(),
            format!("/events/{event}/scans"),
        ] {
            let page = owner.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(page.status(), 200, "{base}{path}");
        }
        owners.push(owner);
    }
    let monitor = format!("/events/{event}/scans");
    let before = monitor_counts(
        &owners[0]
            .get(format!("{a}{monitor}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );

    let tokens: Vec<String> = ["North", "South"]
        .map(|gate| {
            let event = event.to_string();
            let args = [
                "admin",
                "create-device",
                "--database",
                &url,
                "--event",
                &event,
                "--gate",
                gate,
            ];
            let out = crate::helpers::voelgoed(&args);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        })
        .into();
    let codes: Vec<String> = voelgoed::db::schema::tickets::table
        .filter(voelgoed::db::schema::tickets::event_id.eq(event))
        .select(voelgoed::db::schema::tickets::code)
        .order(voelgoed::db::schema::tickets::id)
        .limit(40)
        .load(&mut direct)
        .unwrap();
    let client = reqwest::Client::new();
    let mut answered = Vec::new();
    for (n, pair) in codes.chunks(2).enumerate() {
        let (base, token) = if n % 2 == 0 { (&a, &tokens[0]) } else { (&b, &tokens[1]) };
        let scans: Vec<_> = pair
            .iter()
            .enumerate()
            .map(|(i, code)| scan(&uuid(7_000 + n as u32, i as u32), code, "in"))
            .collect();
        let response = client
            .post(format!("{base}/api/v1/scans"))
            .bearer_auth(token)
            .json(&batch(scans.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "batch {n} through {base}");
        let body: serde_json::Value = response.json().await.unwrap();
        for (sent, result) in scans.iter().zip(body["results"].as_array().unwrap()) {
            answered.push((
                sent["id"].as_str().unwrap().to_owned(),
                result["result"].as_str().unwrap().to_owned(),
            ));
        }
    }

    assert_eq!(answered.len(), 40);
    assert_eq!(
        stored_results(&mut direct, &answered),
        answered,
        "each scan stored once, as answered"
    );
    // Both instances' counters (in Redis) moved by exactly the scans answered.
    let deadline = Instant::now() + Duration::from_secs(10);
    for (base, owner) in [(&a, &owners[0]), (&b, &owners[1])] {
        loop {
            let page = owner
                .get(format!("{base}{monitor}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let after = monitor_counts(&page);
            let moved: i64 = (0..3).map(|i| after[i] - before[i]).sum();
            if moved == 40 && after[3] == before[3] {
                break;
            }
            assert!(Instant::now() < deadline, "{base}: {before:?} then {after:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The database URL behind PgBouncer's, on the test server itself.
fn direct_url(pooled: &str) -> String {
    let database = pooled.split('?').next().unwrap().rsplit('/').next().unwrap();
    format!("{}/{database}", admin_url().rsplit_once('/').unwrap().0)
}

/// The stored result of each scan id in `answered`, in its order; a scan stored twice
/// shows twice.
fn stored_results(conn: &mut PgConnection, answered: &[(String, String)]) -> Vec<(String, String)> {
    use voelgoed::db::schema::scans;
    let ids: Vec<&str> = answered.iter().map(|(id, _)| id.as_str()).collect();
    let mut stored: Vec<(String, String)> = scans::table
        .filter(scans::device_scan_id.eq_any(&ids))
        .select((scans::device_scan_id, scans::result))
        .load(conn)
        .unwrap();
    let place = |id: &str| ids.iter().position(|i| *i == id);
    stored.sort_by_key(|(id, _)| place(id));
    stored
}

/// PgBouncer killed while devices post to both instances, then started again: while it
/// is down the devices get 503 and send the same scans again; every scan ends stored
/// once with the answer its device got, the counters equal a recount, and the pages
/// and readiness recover without a restart of the app.
#[tokio::test]
async fn pgbouncer_restarted_mid_run_loses_no_acknowledged_scan() {
    let mut bouncer = PgBouncer::start().await;
    let (a, b) = scaled_out_through(&bouncer, "pgb_restart", &test_redis()).await;
    let (token_a, _) = a.device_a("North").await;
    let (token_b, _) = a.device_a("South").await;
    let codes = a.place_order_a(60).await.ticket_codes;
    let owner = b.signed_in("owner@a.test").await;
    let mut answered = Vec::new();
    let mut refusals = Vec::new();
    let mut killed_at = None;
    let mut restarted = false;
    let started = Instant::now();

    for (i, code) in codes.iter().enumerate() {
        if i == 20 {
            bouncer.kill();
            killed_at = Some(Instant::now());
        }
        let (app, token) = if i % 2 == 0 { (&a, &token_a) } else { (&b, &token_b) };
        let id = uuid(i as u32, 5);
        let body = batch(vec![scan(&id, code, "in")]);
        loop {
            let (status, answer) = app.post_scans(token, &body).await;
            if status == 200 {
                answered.push((id.clone(), answer["results"][0]["result"].as_str().unwrap().to_owned()));
                break;
            }
            refusals.push(status);
            if !restarted && killed_at.is_some_and(|at| at.elapsed() > Duration::from_millis(1_500)) {
                bouncer.restart().await;
                restarted = true;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "scan {i} never accepted: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    assert!(restarted, "the scans went on while PgBouncer was down: {refusals:?}");
    assert!(!refusals.is_empty(), "devices were told to retry while it was down");
    assert!(
        refusals.iter().all(|s| *s == 503),
        "retryable refusals only: {refusals:?}"
    );
    let mut direct = PgConnection::establish(&direct_url(&bouncer.url(&database_of(&a)))).unwrap();
    assert_eq!(
        stored_results(&mut direct, &answered),
        answered,
        "each scan stored once, as answered"
    );
    assert_eq!(a.count("scans").await, 60);
    counters_equal_a_recount(&a).await;
    counters_equal_a_recount(&b).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    for app in [&a, &b] {
        while reqwest::get(app.url("/readyz")).await.unwrap().status() != 200 {
            assert!(Instant::now() < deadline, "not ready again after PgBouncer came back");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for path in [
        format!("/events/{}", b.fixture.event_a),
        "/orders".into(),
        format!("/events/{}/scans", b.fixture.event_a),
    ] {
        let page = owner.get(b.url(&path)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path} after PgBouncer came back");
    }
}

/// The name of the database the app's URL names.
fn database_of(app: &crate::helpers::TestApp) -> String {
    let DatabaseUrl::Postgres(url) = &app.services.settings.database else {
        unreachable!()
    };
    url.split('?').next().unwrap().rsplit('/').next().unwrap().to_owned()
}
