//! Database plumbing: one connection type over SQLite and PostgreSQL, the pool, the
//! embedded migrations, and `run_blocking` to call blocking diesel code off the async workers.
//! Query functions live in the features; they all take a `Tenant` (see `tenant.rs`).

mod connection;
mod durability;
mod json_batch;
pub mod lease;
mod limits;
mod pool_events;
mod pooler;
mod prepared_sql;
pub mod schema;
mod tenant;

pub use connection::{
    connect, connect_for_bulk_writes, connect_named, connect_with, without_memory_map, ConnectionManager, DatabaseUrl,
    DbConnection, MultiBackend, Pool, PooledConnection,
};
pub use durability::tune_scan_writer;
pub use json_batch::{ColumnType, Placeholders, JSON_ROWS_FROM};
pub use limits::{DatabaseLimits, PoolBudget};
pub use pooler::{Pooler, TIMEOUTS as POOLER_TIMEOUTS};
pub use prepared_sql::{json_bind, PreparedSql, SqlText, SqlValue};
pub use tenant::Tenant;

use diesel::connection::SimpleConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Applies every pending migration of the backend in use.
pub fn migrate(pool: &Pool) -> anyhow::Result<()> {
    let mut conn = pool.get()?;
    let applied = match &mut *conn {
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    for migration in applied {
        tracing::info!(%migration, "applied migration");
    }
    refresh_planner_statistics(&mut conn)?;
    Ok(())
}

/// SQLite plans queries better with statistics about its indexes (the order search
/// needs them to union its prefix indexes): refresh those that are missing or stale,
/// sampling a bounded number of rows, so it stays fast on large tables. PostgreSQL's
/// autovacuum keeps its own.
pub fn refresh_planner_statistics(conn: &mut DbConnection) -> anyhow::Result<()> {
    if let DbConnection::Sqlite(sqlite) = conn {
        sqlite.batch_execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")?;
    }
    Ok(())
}

/// Fresh planner statistics for every table, after a bulk write (the demo, `seed`, the
/// benchmarks' seeds). Without them a fresh PostgreSQL plans blind until autovacuum's
/// first analyse, about a minute later: a new demo's arrivals query then ran past the
/// statement timeout. SQLite samples a bounded number of rows per index.
pub fn analyze(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Postgresql(pg) => pg.batch_execute("ANALYZE"),
        DbConnection::Sqlite(sqlite) => sqlite.batch_execute("PRAGMA analysis_limit = 1000; ANALYZE"),
    }
}

/// Why database work did not run or finish: the plumbing's own error, which each
/// layer above turns into its answer (a page's 503, the device API's retry).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection came free in time: the same request later may well succeed.
    #[error("the database is busy: {0}")]
    Busy(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("database work failed: {0}")]
    Failed(#[source] anyhow::Error),
}

/// Runs blocking diesel work on the blocking thread pool with a pooled connection.
/// `E` is the caller's error type; a pool that stays empty past its wait is `DbError::Busy`.
pub async fn run_blocking<T, E, F>(pool: &Pool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    // A turn first, as a future: the blocking pool only ever holds work that has one.
    let turn = pool
        .turn()
        .await
        .ok_or_else(|| DbError::Busy("no connection free within the pool's wait".into()))?;
    let pool = pool.clone();
    actix_web::web::block(move || {
        let _turn = turn;
        let mut conn = pool.get().map_err(|e| DbError::Busy(e.to_string()))?;
        work(&mut conn)
    })
    .await
    .map_err(|e| DbError::Failed(anyhow::anyhow!("the blocking pool failed: {e}")))?
}

/// `run_blocking` with the database's own error, for the plumbing and the gate engine,
/// which know no web error: the layer above converts `DbError` into its own.
pub async fn run<T, F>(pool: &Pool, work: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    run_blocking(pool, work).await
}

/// Milliseconds since the unix epoch: the one time representation in the database.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `SUM(column)` as a 64-bit integer on both backends (PostgreSQL sums BIGINT to
/// NUMERIC). `column` must be a trusted, qualified column name, never input.
pub fn sum_of(
    column: &'static str,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql(&format!("CAST(SUM({column}) AS BIGINT)"))
}

/// A stored time as `2026-11-25 14:02:05 UTC`, for messages that leave the database.
/// Written field by field: the scan writer formats one for every duplicate, and a
/// `strftime` pattern is parsed again on every call.
pub fn format_utc(at_ms: i64) -> String {
    use chrono::{Datelike, Timelike};
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| {
            let (date, time) = (t.date_naive(), t.time());
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                date.year(),
                date.month(),
                date.day(),
                time.hour(),
                time.minute(),
                time.second()
            )
        })
        .unwrap_or_default()
}

/// A transaction that will write. On SQLite it takes the write lock at its start
/// (waiting up to busy_timeout), as `BEGIN IMMEDIATE` would: a deferred transaction
/// that reads first fails at once with "database is locked" when another connection
/// wrote in between. PostgreSQL needs nothing special.
pub fn write_transaction<T, F>(conn: &mut DbConnection, work: F) -> diesel::QueryResult<T>
where
    F: FnOnce(&mut DbConnection) -> diesel::QueryResult<T>,
{
    use diesel::RunQueryDsl;
    conn.transaction(|conn| {
        if matches!(conn, DbConnection::Sqlite(_)) {
            diesel::sql_query("DELETE FROM write_lock WHERE 0").execute(conn)?;
        }
        work(conn)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_times_read_like_chrono_formats_them() {
        for at in [0, 1_764_598_925_123, 4_102_444_799_999] {
            let expected = chrono::DateTime::from_timestamp_millis(at)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default();
            assert_eq!(super::format_utc(at), expected);
        }
        assert_eq!(super::format_utc(0), "1970-01-01 00:00:00 UTC");
    }
}

#[cfg(test)]
#[path = "turns_tests.rs"]
mod turns_tests;
