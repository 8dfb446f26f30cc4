//! The database every command names with `--database`, opened and migrated, and
//! blocking work off the async runtime.

use clap::Args;
use voelgoed::db::{self, DatabaseUrl};

#[derive(Args, Debug)]
pub struct DatabaseArgs {
    /// SQLite file path, sqlite://PATH, or postgres://… URL.
    #[arg(long, env = "DATABASE_URL")]
    pub database: String,
}

pub fn parse_url(args: &DatabaseArgs) -> anyhow::Result<DatabaseUrl> {
    DatabaseUrl::parse(&args.database).map_err(anyhow::Error::msg)
}

/// Opens and migrates the database named by the flags. Commands (`seed` above all) may
/// run statements longer than a page's.
pub async fn open(args: &DatabaseArgs) -> anyhow::Result<db::Pool> {
    let url = parse_url(args)?;
    blocking(move || {
        let pool = db::connect_for_bulk_writes(&url)?;
        db::migrate(&pool)?;
        Ok(pool)
    })
    .await
}

pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work).await?
}
