//! `voelgoed-bench bench-dashboard`: the event dashboard on an event with a million sold
//! tickets. Seeds a fresh database, starts the real server in this process, and over
//! real HTTP measures the first load with the metrics cache warm and cold, 50 cold first
//! loads at once, the bytes of
//! a first visit (page, htmx and CSS, compressed), and then, while tickets sell and
//! people are scanned in at the given rates, how far each number on an open dashboard
//! trails the database and how big each pushed update is.

use std::time::{Duration, Instant};

use anyhow::Context;

use super::{percentile_ms, scan_json, tempfile_dir};
use voelgoed::auth::{open_session, Role, SESSION_COOKIE};
use voelgoed::config::Settings;
use voelgoed::db::{self, DatabaseUrl, Pool, Tenant};
use voelgoed::provisioning;
use voelgoed::provisioning::bulk::{let_in_every_nth, ticket_codes, Codes, EventToFill, OrderWriter, TypeToFill};
use voelgoed::startup::Application;

mod live;
mod loads;
use live::live_phase;
use loads::{cold_loads, concurrent_cold_loads, first_visit_bytes, report_loads, timed_load, warm_loads};

/// Organisers opening one event's dashboard at the same moment.
const CONCURRENT_LOADS: usize = 50;
use voelgoed::error::with_db;

#[derive(clap::Args, Debug)]
pub struct DashboardBenchOptions {
    /// Database for the run (a new SQLite file in a temporary folder when omitted).
    #[arg(long)]
    database: Option<String>,
    /// Sold tickets of the event.
    #[arg(long, default_value_t = 1_000_000)]
    tickets: i64,
    /// Page loads per measurement (warm; a tenth as many cold).
    #[arg(long, default_value_t = 200)]
    loads: usize,
    /// Tickets sold per second during the live phase.
    #[arg(long, default_value_t = 500)]
    sell_rate: i64,
    /// People scanned in per second during the live phase.
    #[arg(long, default_value_t = 500)]
    scan_rate: i64,
    /// Seconds of the live phase.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Scaled out: a second instance on the same database (PostgreSQL) and this Redis;
    /// sales and scans go through the first, the dashboard stream is read from the
    /// second, so the lags are cross-instance.
    #[arg(long)]
    redis: Option<String>,
}

/// What the benchmark's organiser and devices need.
struct Seeded {
    tenant: Tenant,
    event_id: i64,
    type_id: i64,
    user_id: i64,
    device_token: String,
    /// Valid tickets not inside yet, to scan in.
    outside: Vec<String>,
}

pub async fn run(options: DashboardBenchOptions) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let url = match &options.database {
        Some(raw) => DatabaseUrl::parse(raw).map_err(anyhow::Error::msg)?,
        None => DatabaseUrl::Sqlite(format!("{}/dashboard.sqlite", dir.display())),
    };
    println!("seeding an event with {} sold tickets …", options.tickets);
    let started = Instant::now();
    let seed_url = url.clone();
    let tickets_wanted = options.tickets;
    let seeded = tokio::task::spawn_blocking(move || seed(&seed_url, tickets_wanted)).await??;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    let mut settings = Settings::new("127.0.0.1:0", url);
    settings.redis = super::redis_settings(options.redis.as_ref());
    let app = Application::build(settings.clone()).await?;
    let (base, services) = (format!("http://{}", app.address()), app.services().clone());
    let server = actix_web::rt::spawn(app.run_until_stopped());
    // Scaled out, the live phase reads its stream from a second instance.
    let (stream_base, second) = match settings.redis.is_some() {
        true => {
            let other = Application::build(settings).await?;
            let base = format!("http://{}", other.address());
            println!("second instance on {base}: the dashboard stream is read there");
            (base, Some(actix_web::rt::spawn(other.run_until_stopped())))
        }
        false => (base.clone(), None),
    };
    let user_id = seeded.user_id;
    let session = with_db(&services.pool, move |conn| Ok(open_session(conn, user_id, 86_400_000)?)).await?;
    let page = format!("{base}/events/{}", seeded.event_id);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .add_default_header(("Cookie", format!("{SESSION_COOKIE}={session}")))
        .finish();

    let first = timed_load(&client, &page).await?;
    println!("very first load after start-up: {:.1} ms", first.as_secs_f64() * 1000.0);
    let warm = warm_loads(&client, &page, options.loads).await?;
    report_loads("first load, metrics cached (warm)", &warm);
    let cold = cold_loads(&client, &page, &services, &seeded, (options.loads / 10).max(5)).await?;
    report_loads("first load, metrics recomputed (cold)", &cold);
    let together = concurrent_cold_loads(&client, &page, (&services, &seeded), (5, CONCURRENT_LOADS)).await?;
    report_loads(&format!("{CONCURRENT_LOADS} concurrent first loads (cold)"), &together);
    first_visit_bytes(&client, &page).await?;
    live_phase([&base, &stream_base], &client, &services, seeded, &options).await?;
    server.abort();
    second.iter().for_each(|server| server.abort());
    Ok(())
}

/// One organisation, one event, four ticket types, `wanted` sold tickets over the last
/// 30 days (half of them inside), and a scanning device.
fn seed(url: &DatabaseUrl, wanted: i64) -> anyhow::Result<Seeded> {
    let pool: Pool = db::connect_for_bulk_writes(url).context("cannot open the bench database")?;
    db::migrate(&pool)?;
    let mut conn = pool.get()?;
    let tenant = provisioning::create_organization(&mut conn, "Dashboard Bench Org", "Europe/Amsterdam")?;
    let user_id =
        provisioning::create_user_with_hash(&mut conn, &tenant, "owner@dash.test", "Bench", "!", Role::Owner)?;
    let now = db::now_ms();
    let event = super::event_under_way("Million Festival", wanted * 2, now - 30 * 86_400_000);
    let event_id = provisioning::create_event(&mut conn, &tenant, &event)?;
    let mut types = Vec::new();
    for (name, price, share) in [
        ("Day", 5_000, 55),
        ("Weekend", 9_000, 25),
        ("Early bird", 3_900, 12),
        ("VIP", 15_000, 8),
    ] {
        let capacity = wanted * share / 100 + wanted;
        let id = provisioning::create_ticket_type(&mut conn, &tenant, event_id, name, price, capacity)?;
        types.push(TypeToFill {
            id,
            price,
            left: wanted * share / 100,
        });
    }
    let type_id = types[0].id;
    let mut fill = EventToFill {
        event_id,
        ticket_types: types,
        sold_from: now - 30 * 86_400_000,
        sold_until: now - 60_000,
        max_tickets: 4,
    };
    let mut writer = OrderWriter::new(&mut conn)?;
    while writer.add_order(&tenant, &mut fill, user_id) {
        if writer.pending_orders() >= 50_000 {
            writer.flush(&mut conn)?;
        }
    }
    writer.flush(&mut conn)?;
    writer.finish(&mut conn)?;
    // Half the valid tickets are inside, since they were bought (as a seed; counters
    // are rebuilt from this at start-up).
    let_in_every_nth(&mut conn, &tenant, event_id, 2)?;
    let outside = ticket_codes(&mut conn, &tenant, event_id, Codes::ValidOutside, Some(200_000))?;
    let gate = provisioning::find_or_create_gate(&mut conn, &tenant, event_id, "Main")?;
    let (_, device_token) = provisioning::create_device(&mut conn, &tenant, event_id, gate, "Bench scanner")?;
    Ok(Seeded {
        tenant,
        event_id,
        type_id,
        user_id,
        device_token,
        outside,
    })
}
