//! The walk's own reads of the database: ids and codes of what it made, and the
//! fingerprint a refused request must leave as it was.

use diesel::RunQueryDsl;
use voelgoed::db::DbConnection;

use crate::helpers::TestApp;

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

pub fn number(conn: &mut DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Number>(conn).unwrap().n
}

pub fn newest(conn: &mut DbConnection, table: &str) -> i64 {
    number(conn, &format!("SELECT MAX(id) AS n FROM {table}"))
}

pub fn user_id(conn: &mut DbConnection, email: &str) -> i64 {
    number(conn, &format!("SELECT id AS n FROM users WHERE email = '{email}'"))
}

pub fn order_code(conn: &mut DbConnection, order: i64) -> String {
    let sql = format!("SELECT code AS t FROM orders WHERE id = {order}");
    diesel::sql_query(sql).get_result::<Text>(conn).unwrap().t
}

/// What a refused request must leave as it was: the counts of everything a `POST` of
/// the route table can add, end, change or send.
pub fn fingerprint(conn: &mut DbConnection) -> String {
    let counts: Vec<String> = COUNTS
        .iter()
        .map(|what| format!("CAST((SELECT COUNT(*) FROM {what}) AS TEXT)"))
        .collect();
    let sql = format!("SELECT {} AS t", counts.join(" || ',' || "));
    diesel::sql_query(sql).get_result::<Text>(conn).unwrap().t
}

/// The counts that differ between two fingerprints, named.
pub fn changes(before: &str, after: &str) -> String {
    let changed: Vec<String> = COUNTS
        .iter()
        .zip(before.split(',').zip(after.split(',')))
        .filter(|(_, (b, a))| b != a)
        .map(|(what, (b, a))| format!("{what}: {b} → {a}"))
        .collect();
    changed.join("; ")
}

const COUNTS: &[&str] = &[
    "audit_log",
    "email_outbox",
    "sessions",
    "kiosk_links",
    "kiosk_links WHERE revoked_at IS NOT NULL",
    "devices",
    "devices WHERE revoked_at IS NOT NULL",
    "device_pairings",
    "device_pairings WHERE used_at IS NOT NULL",
    "users",
    "users WHERE deactivated_at IS NOT NULL",
    "user_events",
    "webhook_endpoints",
    "webhook_endpoints WHERE disabled_at IS NOT NULL",
    "webhook_deliveries",
    "bulk_jobs",
    "refunds",
    "tickets WHERE status = 'valid'",
    "gate_alerts WHERE acknowledged_at IS NOT NULL",
    "events WHERE entry_policy <> 'reentry'",
];

/// Until every bulk job has run (the shared ones are read finished).
pub async fn wait_for_jobs(app: &TestApp) {
    for _ in 0..200 {
        let running = app
            .db(|conn| number(conn, "SELECT COUNT(*) AS n FROM bulk_jobs WHERE finished_at IS NULL"))
            .await;
        if running == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the walk's bulk jobs did not finish");
}
