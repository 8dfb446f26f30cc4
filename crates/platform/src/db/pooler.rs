//! PostgreSQL behind a pooler in transaction mode (PgBouncer's `pool_mode = transaction`),
//! named by `?pooler=transaction` on the database URL. There each transaction (and each
//! statement outside one) may run on another server connection, so a connection must
//! not rely on anything a session keeps: no named prepared statements (diesel's
//! statement cache is off) and no session `SET`. The timeouts are then the server's
//! defaults for the role or database, checked when a connection opens: PgBouncer 1.18
//! refuses the `options` startup parameter, and a `SET` would stay behind on whichever
//! server connection ran it. diesel's own `SET TIME ZONE` and `client_encoding` at
//! connect are parameters PgBouncer tracks per client and replays on every server it
//! hands the client.

use diesel::connection::CacheSize;
use diesel::{Connection, ConnectionError, PgConnection, RunQueryDsl};

/// Whether a pooler that shares server connections between transactions sits in between.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pooler {
    /// Directly to PostgreSQL (or a pooler in session mode): sessions are the app's own.
    #[default]
    None,
    /// A pooler in transaction mode.
    Transaction,
}

/// The URL's query parameter naming the pooler.
const PARAMETER: &str = "pooler";

/// The server settings that must not be 0 (no limit) behind a transaction pooler.
pub const TIMEOUTS: [&str; 3] = [
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
];

/// Splits `pooler=…` off a PostgreSQL URL: the URL libpq gets (it refuses parameters it
/// does not know) and the pooler named.
pub fn split(url: &str) -> Result<(String, Pooler), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), Pooler::None));
    };
    let mut pooler = Pooler::None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some((PARAMETER, "transaction")) => pooler = Pooler::Transaction,
            Some((PARAMETER, "none")) => pooler = Pooler::None,
            Some((PARAMETER, other)) => {
                return Err(format!(
                    "unknown database pooler '{other}': use ?pooler=transaction (PgBouncer's transaction pooling) or leave it out"
                ))
            }
            _ => kept.push(pair),
        }
    }
    let url = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    Ok((url, pooler))
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    setting: String,
}

/// Readies a new connection for a transaction pooler: no statement cache (unnamed
/// statements travel as one Parse/Bind/Execute, which any server connection runs), and
/// refused when the server would run its statements without a timeout.
pub fn prepare(conn: &mut PgConnection) -> Result<(), ConnectionError> {
    conn.set_prepared_statement_cache_size(CacheSize::Disabled);
    let list = TIMEOUTS.map(|name| format!("'{name}'")).join(", ");
    let settings: Vec<Setting> =
        diesel::sql_query(format!("SELECT name, setting FROM pg_settings WHERE name IN ({list})"))
            .load(conn)
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    let unlimited: Vec<&str> = settings
        .iter()
        .filter(|s| s.setting == "0")
        .map(|s| s.name.as_str())
        .collect();
    if unlimited.is_empty() {
        return Ok(());
    }
    Err(ConnectionError::BadConnection(format!(
        "behind a transaction pooler the timeouts are the server's defaults, and {} is 0 (no limit): \
         set each for the app's role, e.g. ALTER ROLE voelgoed SET {} = '5s' (docs/deployment.md)",
        unlimited.join(", "),
        unlimited[0]
    )))
}

#[cfg(test)]
mod tests {
    use super::{split, Pooler};

    #[test]
    fn the_pooler_parameter_is_read_and_taken_off_the_url() {
        let plain = "postgres://u@h:6432/db";
        assert_eq!(split(plain), Ok((plain.to_owned(), Pooler::None)));
        assert_eq!(
            split("postgres://u@h:6432/db?pooler=transaction"),
            Ok((plain.to_owned(), Pooler::Transaction))
        );
        assert_eq!(
            split("postgres://u@h/db?sslmode=require&pooler=transaction&connect_timeout=3"),
            Ok((
                "postgres://u@h/db?sslmode=require&connect_timeout=3".to_owned(),
                Pooler::Transaction
            ))
        );
        assert_eq!(
            split("postgres://u@h/db?pooler=none"),
            Ok(("postgres://u@h/db".to_owned(), Pooler::None))
        );
        assert!(split("postgres://u@h/db?pooler=session").is_err());
    }
}
