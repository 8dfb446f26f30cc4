//! One connection type over SQLite and PostgreSQL, how each is opened and tuned
//! (timeouts, WAL, memory maps), and the pools of them.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2;
use diesel::{Connection, PgConnection, SqliteConnection};

use super::durability::sqlite_synchronous;
use super::pooler::Pooler;
use super::{DatabaseLimits, PoolBudget};

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
            super::pooler::split(raw)?;
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

    /// The pooler the URL names with `?pooler=…` (PostgreSQL only).
    pub fn pooler(&self) -> Pooler {
        match self {
            Self::Postgres(url) => super::pooler::split(url).map(|(_, p)| p).unwrap_or_default(),
            Self::Sqlite(_) => Pooler::None,
        }
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

    /// The SQLite write-ahead log a writer may sync itself, when commits must reach the
    /// disk (synchronous `FULL`, the default): a connection that commits without waiting
    /// (`tune_scan_writer`) and syncs this file before it acknowledges anything is as
    /// durable, and can decide its next transaction while the disk works. None for
    /// PostgreSQL (its server syncs) and for SQLite at `NORMAL`.
    pub fn sqlite_log_to_sync(&self) -> Option<std::path::PathBuf> {
        match &self.url {
            DatabaseUrl::Sqlite(path) if sqlite_synchronous() == "FULL" && !path.starts_with(':') => {
                Some(format!("{path}-wal").into())
            }
            _ => None,
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
                let (url, pooler) = super::pooler::split(url)
                    .map_err(|e| E::ConnectionError(diesel::ConnectionError::InvalidConnectionUrl(e)))?;
                let mut conn = PgConnection::establish(&with_connect_timeout(&url)).map_err(E::ConnectionError)?;
                if pooler == Pooler::Transaction {
                    super::pooler::prepare(&mut conn).map_err(E::ConnectionError)?;
                    return Ok(DbConnection::Postgresql(conn));
                }
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

pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// A pool of connections, with as many permits as it has connections: work waiting for
/// a connection (`db::run_blocking`) waits as a future holding no thread. Without them,
/// 3,000 live streams' reads waited on 8 connections as up to 512 blocked threads of
/// actix's blocking pool, each with its own stack (issue 24's soak). Dereferences to
/// the r2d2 pool for synchronous callers (commands, tests).
#[derive(Clone)]
pub struct Pool {
    connections: r2d2::Pool<ConnectionManager>,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

impl Pool {
    fn new(connections: r2d2::Pool<ConnectionManager>, wait: Duration) -> Self {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(connections.max_size() as usize));
        Self {
            connections,
            permits,
            wait,
        }
    }

    /// A turn at one of the pool's connections, waited for at most as long as a
    /// connection is (`PoolBudget::wait`); None when none came in that time.
    pub(super) async fn turn(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        // A free turn is taken at once; only a wait arms a timer (which alone cost the
        // single-scan path a fifth more instructions).
        if let Ok(turn) = self.permits.clone().try_acquire_owned() {
            return Some(turn);
        }
        let acquire = self.permits.clone().acquire_owned();
        tokio::time::timeout(self.wait, acquire).await.ok()?.ok()
    }
}

impl std::ops::Deref for Pool {
    type Target = r2d2::Pool<ConnectionManager>;

    fn deref(&self) -> &Self::Target {
        &self.connections
    }
}

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

/// Longest one statement of a bulk write may run (`seed`, the benchmarks' seeds): a
/// flush of 50,000 orders or an update of a million tickets on PostgreSQL outlasts the
/// pages' 5 s, and nothing else waits for these connections.
const BULK_STATEMENT_TIMEOUT: Duration = Duration::from_secs(600);

/// Opens a pool for bulk writes: the pages' budget, with `BULK_STATEMENT_TIMEOUT`.
pub fn connect_for_bulk_writes(url: &DatabaseUrl) -> anyhow::Result<Pool> {
    connect_with(url, DatabaseLimits::for_backend(url).pages, BULK_STATEMENT_TIMEOUT)
}

/// Opens a pool and fails fast with the backend's own message when it is unreachable.
pub fn connect_with(url: &DatabaseUrl, budget: PoolBudget, statement_timeout: Duration) -> anyhow::Result<Pool> {
    connect_named(url, "pages", budget, statement_timeout)
}

/// `connect_with` for the pool named `name` in `/metrics` (its waits and timeouts).
pub fn connect_named(
    url: &DatabaseUrl,
    name: &'static str,
    budget: PoolBudget,
    statement_timeout: Duration,
) -> anyhow::Result<Pool> {
    let manager = ConnectionManager::new(url, statement_timeout);
    // Open one connection by hand first: r2d2 would otherwise retry for its whole
    // timeout and then report only "timed out".
    r2d2::ManageConnection::connect(&manager).map_err(|e| anyhow::anyhow!("{e}"))?;
    let connections = r2d2::Pool::builder()
        .max_size(budget.connections.max(1))
        .min_idle(Some(1))
        .connection_timeout(budget.wait)
        .event_handler(Box::new(super::pool_events::PoolEvents::named(name)))
        .build(manager)?;
    Ok(Pool::new(connections, budget.wait))
}
