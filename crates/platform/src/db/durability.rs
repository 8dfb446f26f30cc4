//! How SQLite's commits reach the disk: the setting every connection takes, and the
//! scan writer's own connection, whose log a thread beside it syncs.

use diesel::connection::SimpleConnection;

use super::DbConnection;

/// By default (`FULL`) every commit reaches the disk before it is acknowledged, so an
/// acknowledged scan survives a power cut; group commit makes that cheap (BENCHMARKS.md).
/// `VOELGOED_SQLITE_SYNCHRONOUS=normal` keeps only what survives a killed process.
pub(super) fn sqlite_synchronous() -> &'static str {
    match std::env::var("VOELGOED_SQLITE_SYNCHRONOUS")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        Ok("normal") => "NORMAL",
        _ => "FULL",
    }
}

/// Sets up the scan writer's own SQLite connection: its statement journals in memory
/// (a multi-row INSERT otherwise opened, wrote and unlinked a temp file each time, a
/// tenth of the scans' INSERT; the pages' reads keep temp files, which cost them fewer
/// instructions); a 4 MB page cache (SQLite walks the cache's hash table at each commit,
/// `pcache1TruncateUnsafe`: 9.6 % of the writer's time with the other connections' 32 MB,
/// 2.7 % with 4 MB; the pages it does not keep are read through the memory map); and,
/// when its owner syncs the `sqlite_log_to_sync` file before acknowledging, commits that
/// do not wait for the disk. PostgreSQL: nothing changes.
pub fn tune_scan_writer(conn: &mut DbConnection, commits_without_sync: bool) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(sqlite) => {
            let durability = if commits_without_sync {
                " PRAGMA synchronous = NORMAL;"
            } else {
                ""
            };
            sqlite.batch_execute(&format!(
                "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -4096;{durability}"
            ))
        }
        DbConnection::Postgresql(_) => Ok(()),
    }
}
