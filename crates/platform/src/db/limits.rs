//! How much of the database each kind of work may hold: pools per kind of work (see
//! `app.rs`) and the statement timeout.

use std::time::Duration;

use super::DatabaseUrl;

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
