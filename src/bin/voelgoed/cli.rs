//! The command line: `demo`, `serve`, `migrate`, `seed` and `admin …`. Every flag can
//! also come from the environment (`DATABASE_URL`, `VOELGOED_ADDR`, …).

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::database::{blocking, open, parse_url, DatabaseArgs};
use crate::demo;
use crate::switch::Switch;
use voelgoed::config::{RedisSettings, Settings};
use voelgoed::db::DatabaseUrl;
use voelgoed::startup::Application;

#[derive(Parser, Debug)]
#[command(name = "voelgoed", version, about = "Voelgoed organiser console")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Migrate, seed demo data when the database is empty, run the simulator, serve.
    Demo(DemoArgs),
    /// Serve the console.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate(DatabaseArgs),
    /// Add bulk organisations, events and orders for benchmarks (`voelgoed-bench`).
    Seed(SeedArgs),
    /// Create organisations, users and scanning devices.
    #[command(subcommand)]
    Admin(crate::admin::AdminCommand),
}

#[derive(Args, Debug)]
struct ServeArgs {
    #[arg(long, env = "VOELGOED_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    #[command(flatten)]
    db: DatabaseArgs,
    /// Mark session cookies Secure even without HTTPS seen by the app.
    #[arg(long, env = "VOELGOED_SECURE_COOKIES")]
    secure_cookies: bool,
    #[command(flatten)]
    running: RunningArgs,
}

/// The scaled-out deployment's Redis.
#[derive(Args, Debug)]
struct RedisArgs {
    /// Redis URL (redis://host:6379): live updates, counters and the scan log are shared
    /// with every instance through it. Without it everything live stays in-process.
    #[arg(long, env = "REDIS_URL")]
    redis: Option<String>,
    /// Prefix of every Redis key and channel (deployments sharing one Redis differ here).
    #[arg(long, env = "VOELGOED_REDIS_PREFIX", default_value = "voelgoed")]
    redis_prefix: String,
    /// Longest wait for a Redis (re)connection, in milliseconds.
    #[arg(long, env = "VOELGOED_REDIS_CONNECT_TIMEOUT_MS", default_value_t = 500)]
    redis_connect_timeout_ms: u64,
    /// Longest wait for any Redis answer, in milliseconds; past it Redis counts as down
    /// (requests stop waiting for it until it answers a probe again).
    #[arg(long, env = "VOELGOED_REDIS_TIMEOUT_MS", default_value_t = 250)]
    redis_timeout_ms: u64,
}

impl RedisArgs {
    fn apply(self, settings: &mut Settings) {
        settings.redis = self.redis.map(|url| RedisSettings {
            url,
            prefix: self.redis_prefix,
            connect_timeout: std::time::Duration::from_millis(self.redis_connect_timeout_ms),
            response_timeout: std::time::Duration::from_millis(self.redis_timeout_ms),
        });
    }
}

/// Connection budgets and timeouts (defaults: docs/limits-and-faults.md).
#[derive(Args, Debug)]
struct LimitArgs {
    /// Connections for pages, live redraws and sign-ins [8 on SQLite, 16 on PostgreSQL].
    #[arg(long, env = "VOELGOED_DB_POOL")]
    db_pool: Option<u32>,
    /// Connections for the device API's token lookups and heartbeats.
    #[arg(long, env = "VOELGOED_GATE_POOL", default_value_t = 2)]
    gate_pool: u32,
    /// Connections for CSV exports.
    #[arg(long, env = "VOELGOED_EXPORT_POOL", default_value_t = 4)]
    export_pool: u32,
    /// Longest wait for a pooled connection, in milliseconds (the gates wait at most 2 s).
    #[arg(long, env = "VOELGOED_DB_WAIT_MS", default_value_t = 10_000)]
    db_wait_ms: u64,
    /// Longest statement on PostgreSQL / lock wait on SQLite, in milliseconds.
    #[arg(long, env = "VOELGOED_DB_STATEMENT_TIMEOUT_MS", default_value_t = 5_000)]
    db_statement_timeout_ms: u64,
    /// Exports of one organisation that may run at once.
    #[arg(long, env = "VOELGOED_EXPORTS_PER_ORG", default_value_t = 2)]
    exports_per_org: usize,
    /// A CSV download whose reader takes nothing for this many seconds is ended.
    #[arg(long, env = "VOELGOED_EXPORT_IDLE_SECONDS", default_value_t = 30)]
    export_idle_seconds: u64,
    /// Password checks (argon2) that may run at once [half the cores].
    #[arg(long, env = "VOELGOED_PASSWORD_CHECKS")]
    password_checks: Option<usize>,
}

impl LimitArgs {
    fn apply(self, settings: &mut Settings) {
        let limits = &mut settings.database_limits;
        if let Some(pages) = self.db_pool {
            limits.pages.connections = pages;
        }
        limits.pages.wait = Duration::from_millis(self.db_wait_ms);
        limits.gates.connections = self.gate_pool;
        limits.exports.connections = self.export_pool;
        limits.statement_timeout = Duration::from_millis(self.db_statement_timeout_ms);
        settings.exports_per_organization = self.exports_per_org.max(1);
        settings.export_idle_timeout = Duration::from_secs(self.export_idle_seconds.max(1));
        if let Some(checks) = self.password_checks {
            settings.password_checks = checks.max(1);
        }
    }
}

/// Sessions and who the client is.
#[derive(Args, Debug)]
struct SessionArgs {
    /// A session not used for this many minutes ends (besides the absolute 12 hours).
    #[arg(long, env = "VOELGOED_SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: u64,
    /// A proxy (address or CIDR range) whose X-Forwarded-For and X-Forwarded-Proto are
    /// believed; repeat for several, or comma-separate in the environment.
    #[arg(long = "trusted-proxy", env = "VOELGOED_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<String>,
}

impl SessionArgs {
    fn apply(self, settings: &mut Settings) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.session_idle_minutes > 0,
            "--session-idle-minutes must be at least 1"
        );
        settings.session_idle = std::time::Duration::from_secs(self.session_idle_minutes.saturating_mul(60));
        settings.trusted_proxies =
            voelgoed::config::TrustedProxies::parse(&self.trusted_proxies).map_err(anyhow::Error::msg)?;
        Ok(())
    }
}

/// What a running console is configured with, whether served or run as the demo.
#[derive(Args, Debug)]
struct RunningArgs {
    #[command(flatten)]
    mail: MailArgs,
    #[command(flatten)]
    sessions: SessionArgs,
    #[command(flatten)]
    redis: RedisArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    metrics: MetricsArgs,
    /// Deliver webhooks to private, loopback and other non-public addresses too (tests
    /// and development); without it they are refused when added and before each delivery.
    #[arg(long, env = "VOELGOED_WEBHOOKS_ALLOW_PRIVATE")]
    webhooks_allow_private: bool,
    /// The shortest time between two pushes of one live view, and between two scan-log
    /// messages to one monitor, in milliseconds: shorter is fresher, longer is fewer
    /// messages and bytes per phone.
    #[arg(long, env = "VOELGOED_LIVE_WINDOW_MS", default_value_t = 250,
        value_parser = clap::value_parser!(u64).range(50..=5_000))]
    live_window_ms: u64,
}

/// `GET /metrics` (Prometheus).
#[derive(Args, Debug)]
pub struct MetricsArgs {
    /// `off`: record nothing and answer /metrics with 404.
    #[arg(long, env = "VOELGOED_METRICS", value_enum, default_value_t = Switch::On)]
    pub metrics: Switch,
    /// Token for reading /metrics from elsewhere than this machine (Authorization: Bearer).
    #[arg(long, env = "VOELGOED_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

impl RunningArgs {
    /// Applies them; `mail_log` is where e-mails go when no SMTP server is named.
    fn apply(self, settings: &mut Settings, mail_log: Option<&str>) -> anyhow::Result<()> {
        self.mail.apply(settings, mail_log);
        self.sessions.apply(settings)?;
        self.redis.apply(settings);
        self.limits.apply(settings);
        settings.metrics.enabled = self.metrics.metrics.is_on();
        settings.metrics.token = self.metrics.metrics_token.filter(|t| !t.trim().is_empty());
        settings.webhooks.allow_private = self.webhooks_allow_private;
        settings.coalesce = Duration::from_millis(self.live_window_ms);
        Ok(())
    }
}

/// Where the console's e-mails (order confirmations) go.
#[derive(Args, Debug)]
struct MailArgs {
    /// SMTP server: smtp://host:port (plain), smtp://user:pass@host:587?tls=required
    /// (STARTTLS) or smtps://user:pass@host:465 (TLS). Without it e-mails go to the log.
    #[arg(long, env = "VOELGOED_SMTP")]
    smtp: Option<String>,
    /// Sender of the e-mails.
    #[arg(
        long,
        env = "VOELGOED_MAIL_FROM",
        default_value = "Voelgoed <tickets@voelgoed.invalid>"
    )]
    mail_from: String,
    /// File e-mails are appended to when there is no --smtp (the demo's default:
    /// voelgoed-demo-mail.log).
    #[arg(long, env = "VOELGOED_MAIL_LOG")]
    mail_log: Option<std::path::PathBuf>,
}

impl MailArgs {
    fn apply(self, settings: &mut Settings, default_log: Option<&str>) {
        settings.smtp = self.smtp;
        settings.mail_from = self.mail_from;
        settings.mail_log = self.mail_log.or_else(|| default_log.map(Into::into));
    }
}

#[derive(Args, Debug)]
struct DemoArgs {
    #[arg(long, env = "VOELGOED_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    #[arg(long, env = "DATABASE_URL", default_value = "voelgoed-demo.sqlite")]
    database: String,
    #[command(flatten)]
    demo: demo::DemoOptions,
    #[command(flatten)]
    running: RunningArgs,
}

#[derive(Args, Debug)]
struct SeedArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// Orders in all, shared unevenly between the organisations.
    #[arg(long, env = "VOELGOED_SEED_ORDERS")]
    orders: u64,
    /// New organisations to create (owner owner@seed-K.test / seed-owner).
    #[arg(long, env = "VOELGOED_SEED_ORGS", default_value_t = 50)]
    orgs: u32,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => {
            let database = DatabaseUrl::parse(&args.database).map_err(anyhow::Error::msg)?;
            let mut settings = Settings::new(args.addr, database);
            args.running.apply(&mut settings, Some("voelgoed-demo-mail.log"))?;
            demo::run(settings, args.demo).await
        }
        Command::Serve(args) => {
            let mut settings = Settings::new(args.addr, parse_url(&args.db)?);
            settings.secure_cookies = args.secure_cookies;
            args.running.apply(&mut settings, None)?;
            let app = Application::build(settings).await?;
            println!("Voelgoed console listening on http://{}", app.address());
            app.run_until_terminated().await
        }
        Command::Migrate(args) => {
            let pool = open(&args).await?;
            println!("database is up to date");
            drop(pool);
            Ok(())
        }
        Command::Seed(args) => {
            let pool = open(&args.db).await?;
            let report = blocking(move || voelgoed::provisioning::bulk::seed(&pool, args.orders, args.orgs)).await?;
            println!("{report}");
            Ok(())
        }
        Command::Admin(command) => crate::admin::run(command).await,
    }
}
