//! Throw-away PostgreSQL databases on the server `VOELGOED_TEST_POSTGRES` names.

/// A new, empty database `name` on the server of `admin_url` (dropped first if a
/// previous run left it); its URL.
pub fn fresh_postgres_database(admin_url: &str, name: &str) -> String {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let mut admin = PgConnection::establish(admin_url).expect("PostgreSQL reachable");
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').expect("URL ends in a database name");
    format!("{base}/{name}")
}
