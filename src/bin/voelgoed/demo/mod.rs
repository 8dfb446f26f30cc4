//! `voelgoed demo`: demo data and the simulator that keeps the demo alive. Orders in
//! bulk (the demo's and `voelgoed seed`'s) are written by `voelgoed::provisioning::bulk`.

pub mod anomalies;
pub mod arrival_curve;
pub mod history;
pub mod logins;
pub mod seed;
pub mod simulator;
pub mod zones;

use anyhow::Context;

use voelgoed::config::Settings;
use voelgoed::startup::Application;

#[derive(clap::Args, Debug, Clone)]
pub struct DemoOptions {
    /// Orders to seed for the live event when the database is empty.
    #[arg(long, env = "VOELGOED_DEMO_ORDERS", default_value_t = 20_000)]
    pub live_orders: u64,
    /// Simulated orders per second over the events on now (0 stops selling).
    #[arg(long, env = "VOELGOED_SIM_ORDERS_PER_SECOND", default_value_t = 2.0)]
    pub orders_per_second: f64,
    /// Simulated gate scans per second over the events on now (0 stops scanning).
    #[arg(long, env = "VOELGOED_SIM_SCANS_PER_SECOND", default_value_t = 8.0)]
    pub scans_per_second: f64,
}

pub async fn run(settings: Settings, options: DemoOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.orders_per_second >= 0.0 && options.scans_per_second >= 0.0,
        "simulator rates cannot be negative"
    );
    // Seed before the app starts, so its live counters are built from the seeded scans.
    let (url, live_orders) = (settings.database.clone(), options.live_orders);
    let seeded = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
        let pool = voelgoed::db::connect(&url).context("cannot open the database")?;
        voelgoed::db::migrate(&pool)?;
        let mut conn = pool.get()?;
        seed::seed_if_empty(&mut conn, live_orders).context("cannot seed the demo data")
    })
    .await??;
    let app = Application::build(settings).await?;
    if seeded {
        println!("Seeded the demo data.");
    }
    tokio::spawn(simulator::run(
        app.services().clone(),
        options.orders_per_second,
        options.scans_per_second,
    ));
    println!("Voelgoed demo console: http://{}/login", app.address());
    for (email, password, what) in seed::LOGINS {
        println!("  {email} / {password}  ({what})");
    }
    println!(
        "Pair a phone as the festival's scanner at gate North: http://{}{} (single use, for ten minutes; the scan monitor makes more)",
        app.address(),
        pairing_link(app.services().pool.get_ref().clone()).await?
    );
    app.run_until_terminated().await
}

/// A pairing link for the festival's North gate, so a phone can scan the demo's tickets.
async fn pairing_link(pool: voelgoed::db::Pool) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let festival = seed::festival(&mut *pool.get()?)?;
        voelgoed::scanner::pairing_link_command(&pool, festival, "North")
    })
    .await?
}
