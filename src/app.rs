//! Building the server: open and migrate the database, start the live hub, bind, serve.
//! `Application::build` binds before returning so tests can ask for port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::auth::PasswordChecks;
use crate::config::Settings;
use crate::dashboard::MetricsCache;
use crate::db::{self, ConnectionManager, DatabaseLimits, DatabaseUrl, Pool};
use crate::live::{self, Bus, Hub, InProcessBus, RedisBus, Shutdown};
use crate::orders::export::Exports;
use crate::orders::outbox::{self, Mailer, OutboxWaker};
use crate::redis_link::RedisLink;
use crate::routes;
use crate::scanning::{self, DeviceTokens, InProcessCounters, RedisCounters, ScanCounters, ScanFeed, ScanWriter};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Pages, fragments, live redraws and sign-ins.
    pub pool: Pool,
    /// The device API's token lookups and heartbeats: never shared with the pages.
    pub gate_pool: Pool,
    /// CSV exports, with their own pool and limits.
    pub exports: Exports,
    pub passwords: PasswordChecks,
    pub bus: Arc<dyn Bus>,
    pub hub: Hub,
    pub scan_writer: ScanWriter,
    pub scan_counters: Arc<dyn ScanCounters>,
    pub scan_feed: Arc<ScanFeed>,
    pub metrics: Arc<MetricsCache>,
    pub device_tokens: Arc<DeviceTokens>,
    pub settings: Arc<Settings>,
    /// Wakes the e-mail outbox worker when a message is queued.
    pub outbox: OutboxWaker,
    /// The link to Redis when scaled out (`--redis`).
    pub redis: Option<Arc<RedisLink>>,
    /// Begun on SIGTERM: live streams end, workers stop.
    pub shutdown: Shutdown,
}

/// Every service as its own `web::Data`, so a handler names exactly what it uses;
/// the demo simulator, the benchmarks and tests reach them through `Application::services`.
#[derive(Clone)]
pub struct Services {
    pub pool: web::Data<Pool>,
    pub gate_pool: web::Data<scanning::GatePool>,
    pub exports: web::Data<Exports>,
    pub passwords: web::Data<PasswordChecks>,
    pub bus: web::Data<dyn Bus>,
    pub hub: web::Data<Hub>,
    pub scan_writer: web::Data<ScanWriter>,
    pub scan_counters: web::Data<dyn ScanCounters>,
    pub scan_feed: web::Data<ScanFeed>,
    pub metrics: web::Data<MetricsCache>,
    pub device_tokens: web::Data<DeviceTokens>,
    pub settings: web::Data<Settings>,
    pub outbox: web::Data<OutboxWaker>,
    pub redis: Option<web::Data<RedisLink>>,
    pub shutdown: web::Data<Shutdown>,
    pub sessions: web::Data<crate::auth::SessionWatch>,
}

impl Services {
    fn of(state: &AppState) -> Self {
        Self {
            pool: web::Data::new(state.pool.clone()),
            gate_pool: web::Data::new(scanning::GatePool(state.gate_pool.clone())),
            exports: web::Data::new(state.exports.clone()),
            passwords: web::Data::new(state.passwords.clone()),
            bus: web::Data::from(state.bus.clone()),
            hub: web::Data::new(state.hub.clone()),
            scan_writer: web::Data::new(state.scan_writer.clone()),
            scan_counters: web::Data::from(state.scan_counters.clone()),
            scan_feed: web::Data::from(state.scan_feed.clone()),
            metrics: web::Data::from(state.metrics.clone()),
            device_tokens: web::Data::from(state.device_tokens.clone()),
            settings: web::Data::from(state.settings.clone()),
            outbox: web::Data::new(state.outbox.clone()),
            redis: state.redis.clone().map(web::Data::from),
            shutdown: web::Data::new(state.shutdown.clone()),
            sessions: web::Data::new(crate::auth::SessionWatch::new(
                state.hub.clone(),
                state.pool.clone(),
                &state.settings,
            )),
        }
    }

    fn register(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.pool.clone())
            .app_data(self.gate_pool.clone())
            .app_data(self.exports.clone())
            .app_data(self.passwords.clone())
            .app_data(self.bus.clone())
            .app_data(self.hub.clone())
            .app_data(self.scan_writer.clone())
            .app_data(self.scan_counters.clone())
            .app_data(self.scan_feed.clone())
            .app_data(self.metrics.clone())
            .app_data(self.device_tokens.clone())
            .app_data(self.settings.clone())
            .app_data(self.outbox.clone())
            .app_data(self.shutdown.clone())
            .app_data(self.sessions.clone());
        if let Some(redis) = &self.redis {
            cfg.app_data(redis.clone());
        }
    }
}

// Until every handler is given its services one by one.
impl crate::auth::CurrentUser {
    pub fn session_ended(&self, state: &AppState) -> impl std::future::Future<Output = ()> + 'static {
        crate::auth::SessionWatch::new(state.hub.clone(), state.pool.clone(), &state.settings).ended(self)
    }
}

/// One pool per kind of work, so one running dry never makes another wait.
struct Pools {
    pages: Pool,
    gates: Pool,
    exports: Pool,
}

impl Pools {
    fn open(url: &DatabaseUrl, limits: &DatabaseLimits) -> anyhow::Result<Self> {
        let open = |budget| db::connect_with(url, budget, limits.statement_timeout);
        Ok(Self {
            pages: open(limits.pages)?,
            gates: open(limits.gates)?,
            exports: open(limits.exports)?,
        })
    }
}

pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    state: AppState,
    services: Services,
    outbox_worker: tokio::task::JoinHandle<()>,
}

/// How long requests in flight get to finish once shutdown has begun; with the
/// outbox's last delivery after it, the process exits within 10 s.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(7);

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let url = settings.database.clone();
        let limits = settings.database_limits;
        let in_process = settings.redis.is_none();
        let (pools, counters, newest_scan) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let pools = Pools::open(&url, &limits).context("cannot open the database")?;
            db::migrate(&pools.pages)?;
            let mut conn = pools.pages.get()?;
            // Scaled out, the counters live in Redis and are rebuilt there when needed.
            let counters = match in_process {
                true => Some(InProcessCounters::rebuild(&mut conn, db::now_ms())?),
                false => None,
            };
            let newest_scan = scanning::newest_scan_id(&mut conn)?;
            drop(conn);
            Ok((pools, counters, newest_scan))
        })
        .await??;
        let Pools {
            pages: pool,
            gates,
            exports,
        } = pools;
        let redis = match &settings.redis {
            Some(redis) => Some(RedisLink::open(redis).await?),
            None => None,
        };
        let bus: Arc<dyn Bus> = match &redis {
            Some(link) => Arc::new(RedisBus::start(link.clone())),
            None => Arc::new(InProcessBus::new()),
        };
        let scan_counters: Arc<dyn ScanCounters> = match (&redis, counters) {
            (Some(link), _) => RedisCounters::start(link.clone(), pool.clone()),
            (None, counters) => Arc::new(counters.unwrap_or_default()),
        };
        let scan_feed = match &redis {
            Some(link) => ScanFeed::shared(link.clone()),
            None => Arc::new(ScanFeed::new(newest_scan)),
        };
        let metrics = MetricsCache::start(pool.clone(), scan_counters.clone());
        let hub = Hub::start(bus.as_ref(), settings.coalesce, vec![metrics.clone()]);
        let publisher = scanning::Publisher::start(pool.clone(), scan_counters.clone(), bus.clone(), scan_feed.clone());
        let writer_connections = ConnectionManager::new(&settings.database, limits.statement_timeout);
        let scan_writer = ScanWriter::start(writer_connections, publisher, settings.writer_faults.clone());
        let mailer = match &settings.smtp {
            Some(url) => Mailer::smtp(url, &settings.mail_from, settings.email_retry.smtp_timeout())?,
            None => Mailer::Log {
                file: settings.mail_log.clone(),
            },
        };
        let shutdown = Shutdown::default();
        let (outbox, outbox_worker) =
            outbox::start_worker(pool.clone(), mailer, settings.email_retry, shutdown.clone());
        crate::auth::start_purge(pool.clone(), settings.session_idle_ms(), settings.purge_every);
        let state = AppState {
            pool,
            gate_pool: gates,
            exports: Exports::new(exports, settings.exports_per_organization, settings.export_idle_timeout),
            passwords: PasswordChecks::new(settings.password_checks, settings.password_wait),
            bus,
            hub,
            scan_writer,
            scan_counters,
            scan_feed,
            metrics,
            device_tokens: Arc::default(),
            settings: Arc::new(settings),
            outbox,
            redis,
            shutdown: shutdown.clone(),
        };

        let listener = TcpListener::bind(&state.settings.addr)
            .with_context(|| format!("cannot listen on {}", state.settings.addr))?;
        let address = listener.local_addr()?;
        let data = web::Data::new(state.clone());
        let services = Services::of(&state);
        let registered = services.clone();
        let stream_quota = web::Data::new(live::StreamQuota::default());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .configure(|cfg| registered.register(cfg))
                .app_data(stream_quota.clone())
                .wrap(middleware::from_fn(crate::htmx::flash_errors))
                .wrap(middleware::from_fn(live::guard_streams))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(crate::security_headers::security_headers))
                .wrap(
                    middleware::Logger::new("%{request}xi %s %Dms")
                        .custom_request_replace("request", logged_request)
                        .log_target("voelgoed::http"),
                )
                .configure(routes::configure)
        })
        .listen(listener)?
        // Signals are ours (`run_until_terminated`), so streams end before the wait.
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .run();
        Ok(Self {
            address,
            server,
            state,
            services,
            outbox_worker,
        })
    }

    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The running app's services, for the demo simulator, the benchmarks and tests.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The running app's state, for the demo simulator and tests.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        Ok(())
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections, live
    /// streams end (clients reconnect elsewhere), scan groups in flight are decided and
    /// answered, the e-mail worker finishes its delivery and releases what it claimed.
    pub async fn run_until_terminated(self) -> anyhow::Result<()> {
        let Self {
            server,
            state,
            outbox_worker,
            ..
        } = self;
        let handle = server.handle();
        let mut serving = std::pin::pin!(server);
        tokio::select! {
            finished = &mut serving => return Ok(finished?),
            signal = termination() => signal?,
        }
        tracing::info!("shutting down: finishing requests in flight, ending live streams");
        state.shutdown.begin();
        // The stop is carried out by the server future itself: keep polling it.
        let (_, served) = tokio::join!(handle.stop(true), serving);
        served?;
        if tokio::time::timeout(Duration::from_secs(2), outbox_worker)
            .await
            .is_err()
        {
            tracing::warn!("the e-mail worker did not stop in time");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// SIGTERM (service managers) or SIGINT (Ctrl-C).
async fn termination() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        interrupted = tokio::signal::ctrl_c() => interrupted?,
    }
    Ok(())
}

/// The request as the access log shows it: method and path, with the secret of a kiosk
/// link cut out (whoever reads the log must not be able to open the display) and the
/// query string left out (it holds buyers' names and e-mail addresses when searched).
fn logged_request(req: &actix_web::dev::ServiceRequest) -> String {
    let path = req.path();
    let path = match path.strip_prefix("/kiosk/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, tail)) => format!("/kiosk/…/{tail}"),
            None => "/kiosk/…".to_owned(),
        },
        None => path.to_owned(),
    };
    let query = if req.query_string().is_empty() { "" } else { "?…" };
    format!("{} {path}{query}", req.method())
}
