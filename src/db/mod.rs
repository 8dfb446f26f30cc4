//! Database plumbing: one connection type over SQLite and PostgreSQL, the pool, the
//! embedded migrations, and `run` to call blocking diesel code off the async workers.
//! Query functions live in the features; they all take a `Tenant` (see `tenant.rs`).

pub mod schema;
mod tenant;
mod text_column;

pub use tenant::Tenant;
pub use text_column::UnknownName;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

/// How many connections one pool may hold and how long a caller waits for one. Each
/// kind of work has its own pool (see `app.rs`), so one kind running out never makes
/// another wait: the gates above all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolBudget {
    pub connections: u32,
    pub wait: Duration,
}

/// The database budgets of a running server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatabaseLimits {
    /// Pages, fragments, live redraws and sign-ins.
    pub pages: PoolBudget,
    /// The device API's token lookups and heartbeats (the scan writer has its own
    /// connection besides).
    pub gates: PoolBudget,
    /// CSV exports, which hold their connection while the client reads.
    pub exports: PoolBudget,
    /// Longest one statement may run on PostgreSQL, and longest SQLite waits for its lock.
    pub statement_timeout: Duration,
}

impl DatabaseLimits {
    pub fn for_backend(url: &DatabaseUrl) -> Self {
        let pages = if url.is_sqlite() { 8 } else { 16 };
        Self {
            pages: PoolBudget {
                connections: pages,
                wait: Duration::from_secs(10),
            },
            gates: PoolBudget {
                connections: 2,
                wait: Duration::from_secs(2),
            },
            exports: PoolBudget {
                connections: 4,
                wait: Duration::from_secs(5),
            },
            statement_timeout: Duration::from_secs(5),
        }
    }
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection type for both backends, so every query is written once.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same expression against whichever backend `conn` is, for the few queries the
/// multi-connection cannot express (RETURNING, batch inserts).
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$inner:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($inner) => $body,
            $crate::db::DbConnection::Sqlite($inner) => $body,
        }
    };
}

/// Where the data lives, decided from the URL's scheme before any connection is tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    /// Accepts `postgres://…`/`postgresql://…`, `sqlite://PATH` or a plain file path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the database URL is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_string()));
        }
        let path = raw.strip_prefix("sqlite://").unwrap_or(raw);
        if path.contains("://") {
            return Err(format!(
                "unsupported database URL '{raw}': use a SQLite file path, sqlite://PATH or postgres://…"
            ));
        }
        Ok(Self::Sqlite(path.to_string()))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// r2d2 manager that opens the backend named by the URL and applies SQLite's pragmas.
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    statement_timeout: Duration,
}

impl ConnectionManager {
    pub fn new(url: &DatabaseUrl, statement_timeout: Duration) -> Self {
        Self {
            url: url.clone(),
            statement_timeout,
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        use diesel::r2d2::Error as E;
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(&with_connect_timeout(url)).map_err(E::ConnectionError)?;
                // A statement (or a transaction left idle) never holds its connection
                // longer than the timeout.
                let ms = self.statement_timeout.as_millis();
                conn.batch_execute(&format!(
                    "SET statement_timeout = {ms}; SET idle_in_transaction_session_timeout = {ms}; \
                     SET lock_timeout = {ms};"
                ))
                .map_err(E::QueryError)?;
                Ok(DbConnection::Postgresql(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path).map_err(E::ConnectionError)?;
                // WAL lets readers run beside the writer; busy_timeout queues writers
                // instead of failing them; foreign keys are off by default in SQLite.
                // synchronous: see sqlite_synchronous. A 32 MB page cache and memory-mapped reads
                // keep the hot indexes out of read() system calls.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; \
                     PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -32768; PRAGMA mmap_size = 268435456;",
                    self.statement_timeout.as_millis(),
                    sqlite_synchronous()
                ))
                .map_err(E::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    /// diesel's own check: a connection handed back while its thread panics, or left
    /// inside a transaction, is dropped instead of serving the next caller.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Runs a long sequential read (an export) with SQLite reading through its bounded page
/// cache instead of the memory map: walking a large table then does not grow the
/// process's resident memory by the part of the file it touched. The connection's map
/// size is restored afterwards. PostgreSQL: as is.
pub fn without_memory_map<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    #[derive(diesel::QueryableByName)]
    struct MapSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        mmap_size: i64,
    }
    let mapped = match conn {
        DbConnection::Sqlite(sqlite) => {
            let MapSize { mmap_size } = diesel::RunQueryDsl::get_result(diesel::sql_query("PRAGMA mmap_size"), sqlite)?;
            sqlite.batch_execute("PRAGMA mmap_size = 0")?;
            Some(mmap_size)
        }
        DbConnection::Postgresql(_) => None,
    };
    let result = work(conn);
    if let (Some(bytes), DbConnection::Sqlite(sqlite)) = (mapped, conn) {
        sqlite.batch_execute(&format!("PRAGMA mmap_size = {bytes}"))?;
    }
    result
}

/// By default (`FULL`) every commit reaches the disk before it is acknowledged, so an
/// acknowledged scan survives a power cut; group commit makes that cheap (BENCHMARKS.md).
/// `VOELGOED_SQLITE_SYNCHRONOUS=normal` keeps only what survives a killed process.
fn sqlite_synchronous() -> &'static str {
    match std::env::var("VOELGOED_SQLITE_SYNCHRONOUS")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        Ok("normal") => "NORMAL",
        _ => "FULL",
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// libpq waits for an unreachable server as long as the network lets it; a bound makes
/// a dead PostgreSQL an error within seconds. A timeout the URL sets itself wins.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout=5")
}

/// Opens the pages' pool with the backend's default budget (commands and tools).
pub fn connect(url: &DatabaseUrl) -> anyhow::Result<Pool> {
    let limits = DatabaseLimits::for_backend(url);
    connect_with(url, limits.pages, limits.statement_timeout)
}

/// Opens a pool and fails fast with the backend's own message when it is unreachable.
pub fn connect_with(url: &DatabaseUrl, budget: PoolBudget, statement_timeout: Duration) -> anyhow::Result<Pool> {
    let manager = ConnectionManager::new(url, statement_timeout);
    // Open one connection by hand first: r2d2 would otherwise retry for its whole
    // timeout and then report only "timed out".
    r2d2::ManageConnection::connect(&manager).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pool = r2d2::Pool::builder()
        .max_size(budget.connections.max(1))
        .min_idle(Some(1))
        .connection_timeout(budget.wait)
        .build(manager)?;
    Ok(pool)
}

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

/// Runs blocking diesel work on the blocking thread pool with a pooled connection.
pub async fn run<T, F>(pool: &Pool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool
            .get()
            .map_err(|e| AppError::Unavailable(format!("the database is busy: {e}")))?;
        work(&mut conn)
    })
    .await
    .map_err(AppError::unexpected)?
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
pub fn format_utc(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
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
