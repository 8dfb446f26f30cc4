//! What every case runs on: a small event seeded the same way every run (fixed sizes,
//! a seeded random generator, times placed the same way from whole hours and minutes)
//! in a fresh SQLite file, the real server started in this process with every
//! background ticker set far apart, so none fires during a measured run, and some scans
//! through the server's own writer so the monitor has a history.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use voelgoed::auth::Role;
use voelgoed::config::Settings;
use voelgoed::db::{self, DatabaseUrl, Pool, Tenant};
use voelgoed::provisioning;
use voelgoed::provisioning::bulk::{let_in_every_nth, ticket_codes, Codes, EventToFill, OrderWriter, TypeToFill};
use voelgoed::scanning::{Direction, GateDevice, ScanAttempt};
use voelgoed::startup::{Application, Services};

/// Sold tickets of the event (before refunds and cancellations).
const TICKETS: i64 = 4_000;
/// The seed of the order generator: the same buyers and codes every run.
const RNG_SEED: u64 = 20_260_101;
/// Scans recorded through the server's writer at the start: the monitor's history.
const HISTORY_SCANS: usize = 300;
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;
/// Far apart enough that no ticker fires during a run.
const NEVER: Duration = Duration::from_secs(24 * 3600);
/// Budgets and waits long enough for a server running 50 times slower under valgrind.
const PATIENT: Duration = Duration::from_secs(600);

/// The running server and what the cases need of the seeded data.
pub struct Fixture {
    pub dir: std::path::PathBuf,
    pub address: SocketAddr,
    pub services: Services,
    pub url: DatabaseUrl,
    pub tenant: Tenant,
    pub event_id: i64,
    pub owner_id: i64,
    pub type_id: i64,
    pub device: GateDevice,
    pub device_token: String,
    /// A prefix of a buyer's surname, for the order search.
    pub surname_prefix: String,
    /// Valid tickets nobody has scanned yet, taken from the front.
    outside: std::vec::IntoIter<String>,
}

/// Where the fixture's data sit in time. The app groups sales by hour and scans by
/// minute, and counts some in windows that end now (the last hour, today, the last 30
/// minutes): so the data sit at the same offsets from whole hours and minutes every
/// run, and none near the start of a window that ends now, whatever the time of day.
#[derive(Clone, Copy)]
struct Clock {
    /// Now, rounded down to five minutes: the event and its scans are placed from it.
    minutes: i64,
    /// The seeded sales: four weeks, ending two days before today's UTC midnight (before
    /// the organisation's "today" too), so whole hours and days.
    sales: (i64, i64),
}

impl Clock {
    fn now() -> Self {
        let now = db::now_ms();
        let sales_until = now - now.rem_euclid(DAY) - 2 * DAY;
        Self {
            minutes: now - now.rem_euclid(5 * MINUTE),
            sales: (sales_until - 28 * DAY, sales_until),
        }
    }
}

/// What `seed` made.
struct Seeded {
    tenant: Tenant,
    event_id: i64,
    owner_id: i64,
    type_id: i64,
    device: GateDevice,
    device_token: String,
    surname_prefix: String,
    outside: Vec<String>,
}

impl Fixture {
    /// Seeds a fresh database in a folder of this run's own and starts the server on it.
    pub async fn start() -> anyhow::Result<Self> {
        let dir = crate::tempfile_dir()?;
        let url = DatabaseUrl::Sqlite(format!("{}/costs.sqlite", dir.display()));
        let (seed_url, clock) = (url.clone(), Clock::now());
        let seeded = tokio::task::spawn_blocking(move || seed(&seed_url, clock)).await??;
        let app = Application::build(settings(url.clone())).await?;
        let (address, services) = (app.address(), app.services().clone());
        actix_web::rt::spawn(app.run_until_stopped());
        let mut fixture = Self {
            dir,
            address,
            services,
            url,
            tenant: seeded.tenant,
            event_id: seeded.event_id,
            owner_id: seeded.owner_id,
            type_id: seeded.type_id,
            device: seeded.device,
            device_token: seeded.device_token,
            surname_prefix: seeded.surname_prefix,
            outside: seeded.outside.into_iter(),
        };
        fixture.record_history(clock).await?;
        Ok(fixture)
    }

    /// `n` tickets nobody has scanned, never handed out before.
    pub fn fresh_codes(&mut self, n: usize) -> anyhow::Result<Vec<String>> {
        let codes: Vec<String> = self.outside.by_ref().take(n).collect();
        anyhow::ensure!(codes.len() == n, "the fixture has run out of unscanned tickets");
        Ok(codes)
    }

    /// A session of the owner, as the cookie's value (opened now, so its idle timeout
    /// is not touched during the run).
    pub async fn session(&self) -> anyhow::Result<String> {
        let (pool, owner) = (self.pool(), self.owner_id);
        tokio::task::spawn_blocking(move || Ok(voelgoed::auth::open_session(&mut *pool.get()?, owner, 86_400_000)?))
            .await?
    }

    pub fn pool(&self) -> Pool {
        self.services.pool.get_ref().clone()
    }

    /// Valid scans every 10 s for 50 minutes from 90 minutes ago (none in the arrivals'
    /// windows that end now, the longest 30 minutes), and some of unknown tickets.
    async fn record_history(&mut self, clock: Clock) -> anyhow::Result<()> {
        let first = clock.minutes - 90 * MINUTE;
        let mut scans: Vec<ScanAttempt> = self
            .fresh_codes(HISTORY_SCANS)?
            .into_iter()
            .enumerate()
            .map(|(i, code)| attempt(format!("history-{i}"), code, first + i as i64 * 10_000))
            .collect();
        let unknown = |i: i64| {
            attempt(
                format!("history-unknown-{i}"),
                format!("UNKNOWN{i:013}"),
                first + i * 60_000,
            )
        };
        scans.extend((0..20i64).map(unknown));
        let recorded = self
            .services
            .scan_writer
            .record_scans(self.tenant, self.device, scans)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(recorded.len() == HISTORY_SCANS + 20, "the history was not recorded");
        Ok(())
    }
}

/// An entry scan with a device-chosen id.
pub fn attempt(id: String, ticket_code: String, scanned_at: i64) -> ScanAttempt {
    ScanAttempt {
        device_scan_id: id,
        ticket_code,
        direction: Direction::In,
        scanned_at,
    }
}

/// The server's settings for a cost run: every periodic job far apart, every budget long.
fn settings(url: DatabaseUrl) -> Settings {
    let mut settings = Settings::new("127.0.0.1:0", url);
    settings.alert_check_every = NEVER;
    settings.webhooks.scan_batch_every = NEVER;
    settings.webhooks.alert_check_every = NEVER;
    settings.purge_every = NEVER;
    settings.session_check_every = NEVER;
    settings.metrics.upkeep_every = NEVER;
    settings.sse_keep_alive = NEVER;
    // The outboxes and the bulk-job runner look for work every `idle_poll`, or sooner
    // when their first retry delay is shorter.
    settings.idle_poll = NEVER;
    settings.webhooks.retry.first_delay = NEVER;
    settings.email_retry.first_delay = NEVER;
    // Arrivals are computed once and kept: a page or a redraw never recomputes them.
    settings.arrivals_every = NEVER;
    // A render case publishes one update at a time: no burst to merge, so no wait
    // before each redraw (the usual quarter second, during which timers tick).
    settings.coalesce = Duration::ZERO;
    settings.arrivals_first_paint = PATIENT;
    settings.panel_budget = PATIENT;
    // One connection per pool. A page loads its panels side by side, each on the
    // connection it happens to get, and a connection that has not run a query yet
    // prepares it first (up to a million instructions); a pool also opens connections
    // in the background as it is used. On one connection every query is prepared once,
    // in the warm-up, and what each query costs is the same.
    settings.database_limits.pages.connections = 1;
    settings.database_limits.gates.connections = 1;
    settings.database_limits.pages.wait = PATIENT;
    settings.database_limits.gates.wait = PATIENT;
    settings.database_limits.statement_timeout = PATIENT;
    settings
}

/// One organisation, its owner, an event under way with four ticket types and
/// `TICKETS` sold over four weeks (an eighth of the valid ones inside), a gate and its
/// device.
fn seed(url: &DatabaseUrl, clock: Clock) -> anyhow::Result<Seeded> {
    let pool: Pool = db::connect(url).context("cannot open the cost database")?;
    db::migrate(&pool)?;
    let mut conn = pool.get()?;
    let tenant = provisioning::create_organization(&mut conn, "Cost Org", "Europe/Amsterdam")?;
    let owner_id =
        provisioning::create_user_with_hash(&mut conn, &tenant, "owner@cost.test", "Cost", "!", Role::Owner)?;
    let (sold_from, sold_until) = clock.sales;
    let event = provisioning::NewEvent {
        starts_at: clock.minutes - 60 * MINUTE,
        ends_at: clock.minutes + DAY,
        ..crate::event_under_way("Cost Festival", TICKETS * 5, sold_from)
    };
    let event_id = provisioning::create_event(&mut conn, &tenant, &event)?;
    let mut fill = EventToFill {
        event_id,
        ticket_types: Vec::new(),
        sold_from,
        sold_until,
        max_tickets: 4,
    };
    for (name, price, share) in [
        ("Day", 5_000, 55),
        ("Weekend", 9_000, 25),
        ("Early bird", 3_900, 12),
        ("VIP", 15_000, 8),
    ] {
        let id = provisioning::create_ticket_type(&mut conn, &tenant, event_id, name, price, TICKETS * 2)?;
        let left = TICKETS * share / 100;
        fill.ticket_types.push(TypeToFill { id, price, left });
    }
    let type_id = fill.ticket_types[0].id;
    let mut writer = OrderWriter::seeded(&mut conn, RNG_SEED)?;
    while writer.add_order(&tenant, &mut fill, owner_id) {}
    let first_buyer = writer.pending_order_rows().next().map(|order| order.buyer_name.clone());
    writer.flush(&mut conn)?;
    writer.finish(&mut conn)?;
    let_in_every_nth(&mut conn, &tenant, event_id, 8)?;
    db::refresh_planner_statistics(&mut conn)?;
    let gate_id = provisioning::find_or_create_gate(&mut conn, &tenant, event_id, "Main")?;
    let (device_id, device_token) = provisioning::create_device(&mut conn, &tenant, event_id, gate_id, "Cost scanner")?;
    Ok(Seeded {
        tenant,
        event_id,
        owner_id,
        type_id,
        device: GateDevice {
            device_id,
            gate_id,
            event_id,
        },
        device_token,
        surname_prefix: surname_prefix(first_buyer.as_deref().context("the fixture sold nothing")?),
        outside: ticket_codes(&mut conn, &tenant, event_id, Codes::ValidOutside, None)?,
    })
}

/// The first four letters of a buyer's surname (the first order's: the same every run).
fn surname_prefix(buyer: &str) -> String {
    let surname = buyer.rsplit(' ').next().unwrap_or(buyer);
    surname.chars().take(4).collect()
}
