//! Starting every service of the console, each kept as its own `web::Data` so that a
//! handler names exactly what it uses: the pools, the live spine, the gates' writer,
//! counters and feed, the dashboard's cache, the e-mail outbox and the session watch.

use std::sync::Arc;

use actix_web::web;
use anyhow::Context;

use crate::arrivals::ArrivalsCache;
use crate::auth::{PasswordChecks, SessionWatch};
use crate::config::Settings;
use crate::dashboard::MetricsCache;
use crate::db::{self, ConnectionManager, Pool};
use crate::live::{Bus, Hub, InProcessBus, RedisBus, Shutdown};
use crate::orders::bulk::{self, BulkWaker};
use crate::orders::export::Exports;
use crate::orders::outbox::{self, OutboxWaker};
use crate::panels::Panels;
use crate::redis_link::RedisLink;
use crate::scanning::{
    self, DeviceTokens, GatePool, InProcessCounters, RedisCounters, ScanCounters, ScanFeed, ScanWriter,
};
use crate::webhooks::{self, WebhookWaker};

/// The running console's services; the demo simulator, the benchmarks and the tests
/// reach them through `Application::services`.
#[derive(Clone)]
pub struct Services {
    /// Pages, fragments, live redraws and sign-ins.
    pub pool: web::Data<Pool>,
    /// The device API's token lookups and heartbeats: never shared with the pages.
    pub gate_pool: web::Data<GatePool>,
    /// CSV exports, with their own pool and limits.
    pub exports: web::Data<Exports>,
    pub passwords: web::Data<PasswordChecks>,
    pub bus: web::Data<dyn Bus>,
    pub hub: web::Data<Hub>,
    pub scan_writer: web::Data<ScanWriter>,
    pub scan_counters: web::Data<dyn ScanCounters>,
    pub scan_feed: web::Data<ScanFeed>,
    pub metrics: web::Data<MetricsCache>,
    /// Each event's arrivals, computed at most every `arrivals_every` for all its pages.
    pub arrivals: web::Data<ArrivalsCache>,
    /// Loads the dashboard's and the monitor's panels, each within its budget.
    pub panels: web::Data<Panels>,
    pub device_tokens: web::Data<DeviceTokens>,
    pub ticket_lists: web::Data<scanning::api::TicketLists>,
    pub settings: web::Data<Settings>,
    /// Wakes the e-mail outbox worker when a message is queued.
    pub outbox: web::Data<OutboxWaker>,
    /// Wakes the webhook delivery worker when a delivery is queued.
    pub webhooks: web::Data<WebhookWaker>,
    /// Wakes the bulk-job runner when a job is created.
    pub bulk_jobs: web::Data<BulkWaker>,
    /// The link to Redis when scaled out (`--redis`).
    pub redis: Option<web::Data<RedisLink>>,
    /// Begun on SIGTERM: live streams end, workers stop.
    pub shutdown: web::Data<Shutdown>,
    pub sessions: web::Data<SessionWatch>,
    /// Door lookups per user (a rate, per instance).
    pub door_lookups: web::Data<crate::door::DoorLookups>,
    /// Each shown event's zones, kept for a moment for the live screens.
    pub zones: web::Data<crate::zones::ZoneDirectory>,
}

/// The background workers, which finish (giving back what they claimed) once
/// shutdown has begun.
pub struct Workers {
    /// The e-mail and webhook delivery workers, joined.
    pub outbox: tokio::task::JoinHandle<()>,
    pub bulk_jobs: tokio::task::JoinHandle<()>,
}

/// What opening the database yields: a pool per kind of work, and what the live state
/// starts from.
struct OpenedDatabase {
    pages: Pool,
    gates: Pool,
    exports: Pool,
    /// Rebuilt from the scans when the counters live in this process.
    counters: Option<InProcessCounters>,
    newest_scan: i64,
}

/// What the gates' live state starts from.
struct LiveStart {
    counters: Option<InProcessCounters>,
    newest_scan: i64,
}

/// The gates' services: counters, the scan-log feed and the writer.
struct Gates {
    counters: Arc<dyn ScanCounters>,
    feed: Arc<ScanFeed>,
    writer: ScanWriter,
}

impl Services {
    /// Opens and migrates the database, connects Redis when scaled out, and starts the
    /// live hub, the scan writer, the e-mail and webhook workers, the `scan.recorded`
    /// batching, the bulk-job runner and the session purge. Also returns the background
    /// workers' tasks, which shutdown waits for.
    pub async fn start(settings: Settings) -> anyhow::Result<(Self, Workers)> {
        let OpenedDatabase {
            pages: pool,
            gates: gate_pool,
            exports,
            counters,
            newest_scan,
        } = open_database(&settings).await?;
        let redis = match &settings.redis {
            Some(redis) => Some(RedisLink::open(redis).await?),
            None => None,
        };
        let bus: Arc<dyn Bus> = match &redis {
            Some(link) => Arc::new(RedisBus::start(link.clone())),
            None => Arc::new(InProcessBus::new()),
        };
        let live_start = LiveStart { counters, newest_scan };
        let gates = start_gates(&settings, &pool, live_start, redis.as_ref(), bus.clone());
        let panels = Panels::new(settings.panel_budget, settings.panel_faults.clone());
        let metrics = MetricsCache::start(pool.clone(), gates.counters.clone(), panels.clone());
        let hub = Hub::start(
            bus.as_ref(),
            settings.coalesce,
            settings.sse_keep_alive,
            vec![metrics.clone()],
        );
        let shutdown = Shutdown::default();
        let (outbox, outbox_worker) = outbox::start_from_settings(&settings, &pool, &shutdown)?;
        let (webhook_waker, webhook_worker) =
            webhooks::start_worker(pool.clone(), &settings.webhooks, settings.idle_poll, shutdown.clone())?;
        webhooks::start_scan_batches(
            pool.clone(),
            webhook_waker.clone(),
            settings.webhooks.scan_batch_every,
            shutdown.clone(),
        );
        crate::dashboard::start_capacity_alert_hooks(
            pool.clone(),
            metrics.clone(),
            settings.webhooks.alert_check_every,
            shutdown.clone(),
        );
        crate::gate_alerts::start_detector(pool.clone(), bus.clone(), settings.alert_check_every, shutdown.clone());
        let workers = tokio::spawn(async move {
            let _ = tokio::join!(outbox_worker, webhook_worker);
        });
        let (bulk_jobs, bulk_runner) =
            bulk::start_runner(pool.clone(), bus.clone(), shutdown.clone(), settings.idle_poll);
        crate::auth::start_purge(pool.clone(), settings.session_idle_ms(), settings.purge_every);
        let sessions = SessionWatch::new(hub.clone(), pool.clone(), &settings);
        let arrivals = ArrivalsCache::new(
            pool.clone(),
            gates.counters.clone(),
            (settings.arrivals_every, settings.arrivals_first_paint),
            panels.clone(),
        );
        let zones = crate::zones::ZoneDirectory::new(pool.clone());
        let services = Self {
            zones: web::Data::new(zones),
            pool: web::Data::new(pool),
            gate_pool: web::Data::new(GatePool(gate_pool)),
            exports: web::Data::new(Exports::new(
                exports,
                settings.exports_per_organization,
                settings.export_idle_timeout,
            )),
            passwords: web::Data::new(PasswordChecks::new(settings.password_checks, settings.password_wait)),
            bus: web::Data::from(bus),
            hub: web::Data::new(hub),
            scan_writer: web::Data::new(gates.writer),
            scan_counters: web::Data::from(gates.counters),
            scan_feed: web::Data::from(gates.feed),
            metrics: web::Data::from(metrics),
            arrivals: web::Data::new(arrivals),
            panels: web::Data::new(panels),
            device_tokens: web::Data::new(DeviceTokens::default()),
            ticket_lists: web::Data::new(scanning::api::TicketLists::default()),
            settings: web::Data::new(settings),
            outbox: web::Data::new(outbox),
            webhooks: web::Data::new(webhook_waker),
            bulk_jobs: web::Data::new(bulk_jobs),
            redis: redis.map(web::Data::from),
            shutdown: web::Data::new(shutdown),
            sessions: web::Data::new(sessions),
            door_lookups: web::Data::new(Default::default()),
        };
        Ok((
            services,
            Workers {
                outbox: workers,
                bulk_jobs: bulk_runner,
            },
        ))
    }

    /// Every service as app data of the server.
    pub fn register(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.pool.clone())
            .app_data(self.zones.clone())
            .app_data(self.gate_pool.clone())
            .app_data(self.exports.clone())
            .app_data(self.passwords.clone())
            .app_data(self.bus.clone())
            .app_data(self.hub.clone())
            .app_data(self.scan_writer.clone())
            .app_data(self.scan_counters.clone())
            .app_data(self.scan_feed.clone())
            .app_data(self.metrics.clone())
            .app_data(self.arrivals.clone())
            .app_data(self.panels.clone())
            .app_data(self.device_tokens.clone())
            .app_data(self.ticket_lists.clone())
            .app_data(self.settings.clone())
            .app_data(self.outbox.clone())
            .app_data(self.webhooks.clone())
            .app_data(self.bulk_jobs.clone())
            .app_data(self.shutdown.clone())
            .app_data(self.sessions.clone())
            .app_data(self.door_lookups.clone());
        if let Some(redis) = &self.redis {
            cfg.app_data(redis.clone());
        }
    }
}

/// One pool per kind of work, so one running dry never makes another wait; migrated,
/// and read for what the live state starts from. Off the async workers.
async fn open_database(settings: &Settings) -> anyhow::Result<OpenedDatabase> {
    let url = settings.database.clone();
    let limits = settings.database_limits;
    let in_process = settings.redis.is_none();
    tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let open = |name, budget| db::connect_named(&url, name, budget, limits.statement_timeout);
        let pages = open("pages", limits.pages).context("cannot open the database")?;
        db::migrate(&pages)?;
        let mut conn = pages.get()?;
        crate::orders::list::fill_buyer_words_once(&mut conn)?;
        crate::orders::list::resume_text_index(&mut conn)?;
        // Scaled out, the counters live in Redis and are rebuilt there when needed.
        let counters = match in_process {
            true => Some(InProcessCounters::rebuild(&mut conn, db::now_ms())?),
            false => None,
        };
        let newest_scan = scanning::newest_scan_id(&mut conn)?;
        drop(conn);
        Ok(OpenedDatabase {
            gates: open("gates", limits.gates)?,
            exports: open("exports", limits.exports)?,
            pages,
            counters,
            newest_scan,
        })
    })
    .await?
}

/// The counters and the scan-log feed (in this process, or in Redis when scaled out)
/// and the writer, which owns its own connection and publishes through them.
fn start_gates(
    settings: &Settings,
    pool: &Pool,
    start: LiveStart,
    redis: Option<&Arc<RedisLink>>,
    bus: Arc<dyn Bus>,
) -> Gates {
    let counters: Arc<dyn ScanCounters> = match redis {
        Some(link) => RedisCounters::start(link.clone(), pool.clone()),
        None => Arc::new(start.counters.unwrap_or_default()),
    };
    let feed = match redis {
        Some(link) => ScanFeed::shared(link.clone(), bus.clone()),
        None => Arc::new(ScanFeed::new(start.newest_scan)),
    };
    // The monitor draws the scan log's rows; the engine holds no markup.
    let draw_row = crate::monitor::draw_log_row;
    let publisher = scanning::Publisher::start(pool.clone(), counters.clone(), bus, feed.clone(), draw_row);
    let statement_timeout = settings.database_limits.statement_timeout;
    let connections = ConnectionManager::new(&settings.database, statement_timeout);
    let writer = ScanWriter::start(connections, publisher, settings.writer_faults.clone());
    Gates { counters, feed, writer }
}
