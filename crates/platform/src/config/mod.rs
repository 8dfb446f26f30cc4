//! Settings for a running server, built by the CLI from flags and the environment.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use crate::db::{DatabaseLimits, DatabaseUrl};

mod faults;
pub use faults::{FailingSyncs, PanelFaults, PanelName, WriterFaults};

#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (the tests use that).
    pub addr: String,
    pub database: DatabaseUrl,
    /// Mark the session cookie `Secure` even when requests arrive over plain HTTP
    /// (behind a TLS-terminating proxy that does not send `X-Forwarded-Proto`).
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: TrustedProxies,
    /// Shortest gap between two redraws of one live channel: bursts merge into one.
    pub coalesce: Duration,
    /// How often a live stream with nothing to send sends a keep-alive comment (so
    /// proxies and phones keep the connection, and a dead client is noticed).
    pub sse_keep_alive: Duration,
    /// Shortest gap between two recomputations of an event's arrivals (chart, forecast,
    /// not-yet-scanned numbers), shared by every dashboard and monitor of the event.
    pub arrivals_every: Duration,
    /// How long a page waits for an event's arrivals when none are kept; past it the
    /// page shows them as loading and its live stream brings them.
    pub arrivals_first_paint: Duration,
    /// Longest a page or a live redraw waits for one panel (the dashboard's metrics, the
    /// monitor's gates, log or alerts); past it the panel says "unavailable, retrying".
    pub panel_budget: Duration,
    /// Deliberately slow panels; tests only.
    pub panel_faults: PanelFaults,
    /// How long a session lasts after sign-in, however busy.
    pub session_ttl: Duration,
    /// A session not used for this long ends (`--session-idle-minutes`).
    pub session_idle: Duration,
    /// How often each session with open live streams is read again, so its streams end
    /// even when the sign-out happened on an instance whose bus this one does not hear.
    pub session_check_every: Duration,
    /// How often expired sessions and old sign-in attempts are deleted.
    pub purge_every: Duration,
    /// SMTP server for e-mails (`smtp://host:port`, `smtps://user:pass@host:465`, …);
    /// None delivers them to the log (and `mail_log`, when set).
    pub smtp: Option<String>,
    /// File e-mails are appended to when there is no SMTP server (demo mode).
    pub mail_log: Option<std::path::PathBuf>,
    /// Sender of the e-mails.
    pub mail_from: String,
    /// How the outbox retries failed deliveries.
    pub email_retry: RetryPolicy,
    /// The scaled-out deployment: Redis carries live updates and counters between
    /// instances. None: everything live stays in this process.
    pub redis: Option<RedisSettings>,
    /// Connections and timeouts of the database pools.
    pub database_limits: DatabaseLimits,
    /// Exports of one organisation that may run at once.
    pub exports_per_organization: usize,
    /// A CSV download whose reader takes nothing for this long is ended.
    pub export_idle_timeout: Duration,
    /// Password checks (argon2) that may run at once, and how long a sign-in waits.
    pub password_checks: usize,
    pub password_wait: Duration,
    /// How long a `/readyz` check waits for each dependency.
    pub readiness_timeout: Duration,
    /// Deliberate scan-writer faults; tests only.
    pub writer_faults: WriterFaults,
    /// What a client that stops reading may hold before it is dropped.
    pub slow_clients: SlowClients,
    /// `GET /metrics`: whether it is on, and the token that reads it from elsewhere.
    pub metrics: MetricsSettings,
    /// Signed webhooks: where they may go and how they are retried.
    pub webhooks: WebhookSettings,
    /// How often the gate-alert detector evaluates each live event.
    pub alert_check_every: Duration,
    /// Longest a background worker with nothing to do waits before it looks again for
    /// work nobody woke it for (rows another instance queued, retries come due): the
    /// e-mail and webhook outboxes (sooner when their first retry delay is shorter) and
    /// the bulk-job runner.
    pub idle_poll: Duration,
}

/// Signed webhooks (`--webhooks-allow-private`).
#[derive(Clone, Copy, Debug)]
pub struct WebhookSettings {
    /// Deliver to private, loopback and other non-public addresses too (tests and
    /// development); off, they are refused when added and before every delivery.
    pub allow_private: bool,
    /// How deliveries are retried: 30 s after the first failure, doubling, 8 attempts
    /// in all (the last about 64 minutes after the first).
    pub retry: RetryPolicy,
    /// Longest wait for an endpoint's answer.
    pub timeout: Duration,
    /// How often `scan.recorded` batches are cut: at most one delivery per endpoint per period.
    pub scan_batch_every: Duration,
    /// How often the dashboards' alerts are looked at for `capacity.alert`.
    pub alert_check_every: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry: RetryPolicy {
                first_delay: Duration::from_secs(30),
                max_attempts: 8,
                lease: Duration::from_secs(60),
            },
            timeout: Duration::from_secs(10),
            scan_batch_every: Duration::from_secs(1),
            alert_check_every: Duration::from_secs(2),
        }
    }
}

/// What a client that stops reading (a phone that lost its network) may hold: the
/// kernel's send buffer (`send_buffer`, which Linux doubles) plus the server's 32 KB write
/// buffer: under 256 KB. Data unacknowledged for `unread_timeout` drops the connection.
#[derive(Clone, Copy, Debug)]
pub struct SlowClients {
    pub send_buffer: usize,
    pub unread_timeout: Duration,
}

impl Default for SlowClients {
    fn default() -> Self {
        Self {
            send_buffer: 96 * 1024,
            unread_timeout: Duration::from_secs(30),
        }
    }
}

/// The Prometheus metrics (`--metrics`, `--metrics-token`).
#[derive(Clone, Debug)]
pub struct MetricsSettings {
    /// Off: nothing is recorded (no recorder, no request timing) and `/metrics` is 404.
    pub enabled: bool,
    /// A client that is not on this machine reads the metrics with
    /// `Authorization: Bearer <token>`; None: loopback clients only.
    pub token: Option<String>,
    /// How often the recorder's histograms are drained (by the first app of the process
    /// to install it), so they stay bounded whether or not anybody scrapes.
    pub upkeep_every: Duration,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            token: None,
            upkeep_every: Duration::from_secs(5),
        }
    }
}

/// Where Redis is and how long to wait for it.
#[derive(Clone, Debug)]
pub struct RedisSettings {
    /// `redis://[user:password@]host:port[/db]`.
    pub url: String,
    /// Prefix of every key and pub/sub channel, so deployments can share one Redis.
    pub prefix: String,
    /// Longest wait for a (re)connection.
    pub connect_timeout: Duration,
    /// Longest wait for any answer; past it the call fails and the breaker opens.
    pub response_timeout: Duration,
}

impl RedisSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "voelgoed".into(),
            connect_timeout: Duration::from_millis(500),
            response_timeout: Duration::from_millis(250),
        }
    }
}

impl Settings {
    pub fn new(addr: impl Into<String>, database: DatabaseUrl) -> Self {
        Self {
            addr: addr.into(),
            database_limits: DatabaseLimits::for_backend(&database),
            database,
            secure_cookies: false,
            trusted_proxies: TrustedProxies::default(),
            coalesce: Duration::from_millis(250),
            sse_keep_alive: Duration::from_secs(15),
            arrivals_every: Duration::from_secs(5),
            arrivals_first_paint: Duration::from_millis(10),
            panel_budget: Duration::from_secs(2),
            panel_faults: PanelFaults::default(),
            session_ttl: Duration::from_secs(12 * 3600),
            session_idle: Duration::from_secs(30 * 60),
            purge_every: Duration::from_secs(5 * 60),
            session_check_every: Duration::from_secs(30),
            smtp: None,
            mail_log: None,
            mail_from: "Voelgoed <tickets@voelgoed.invalid>".into(),
            email_retry: RetryPolicy::default(),
            redis: None,
            exports_per_organization: 2,
            export_idle_timeout: Duration::from_secs(30),
            password_checks: half_the_cores(),
            password_wait: Duration::from_secs(10),
            readiness_timeout: Duration::from_secs(2),
            writer_faults: WriterFaults::default(),
            slow_clients: SlowClients::default(),
            metrics: MetricsSettings::default(),
            webhooks: WebhookSettings::default(),
            alert_check_every: Duration::from_secs(5),
            idle_poll: Duration::from_secs(1),
        }
    }
}

/// Argon2 may take half the machine at most; the other half keeps the gates answering.
fn half_the_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

impl Settings {
    pub fn session_idle_ms(&self) -> i64 {
        i64::try_from(self.session_idle.as_millis()).unwrap_or(i64::MAX)
    }
}

/// The proxies whose forwarding headers are believed (`--trusted-proxy`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `CIDR` or a single address (`10.0.0.0/8`, `127.0.0.1`, `::1`).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|raw| {
                let raw = raw.trim();
                raw.parse::<IpNet>()
                    .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("--trusted-proxy: {raw:?} is not an address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Trusts no proxy: forwarding headers are never believed.
    pub const NONE: Self = Self(Vec::new());

    /// Whether `address` is a trusted proxy's; an IPv4-mapped IPv6 address (a dual-stack
    /// socket's view of an IPv4 peer) is read as the IPv4 address it is.
    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }
}

/// How often and how patiently the e-mail outbox worker retries a delivery.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Delay after the first failed attempt; it doubles with each further one.
    pub first_delay: Duration,
    /// Attempts before a message is marked failed.
    pub max_attempts: i32,
    /// How long a claimed message stays with its worker (a crashed worker's lease
    /// ends); one SMTP delivery is bounded well below it.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(30),
            max_attempts: 6,
            lease: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The SMTP timeout: a delivery ends (as a transient failure) long before its lease.
    pub fn smtp_timeout(&self) -> Duration {
        (self.lease / 3).min(Duration::from_secs(20))
    }

    /// Milliseconds to wait after the `attempts`-th failure: first_delay × 2^(attempts−1).
    pub fn delay_after(&self, attempts: i32) -> i64 {
        let base = self.first_delay.as_millis() as i64;
        base.saturating_mul(1 << (attempts.clamp(1, 20) - 1))
    }
}
