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

/// A test app on a fresh PostgreSQL database `name` (unique per test and process).
pub async fn spawn_postgres_app(name: &str) -> super::TestApp {
    spawn_postgres_app_with(name, |_| {}).await
}

/// The same, with settings of the test's own.
pub async fn spawn_postgres_app_with(
    name: &str,
    configure: impl FnOnce(&mut voelgoed::config::Settings),
) -> super::TestApp {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let url = fresh_postgres_database(&admin_url, &format!("{name}_{}", std::process::id()));
    let url = voelgoed::db::DatabaseUrl::parse(&url).expect("a PostgreSQL URL");
    super::spawn_on(url, configure, tempfile::tempdir().expect("a temporary folder")).await
}
