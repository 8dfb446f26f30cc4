//! Settings for a running server, built by the CLI from flags and the environment.

use std::time::Duration;

use crate::db::DatabaseUrl;
use crate::orders::outbox::RetryPolicy;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (the tests use that).
    pub addr: String,
    pub database: DatabaseUrl,
    /// Mark the session cookie `Secure` even when requests arrive over plain HTTP
    /// (behind a TLS-terminating proxy that does not send `X-Forwarded-Proto`).
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: crate::client::TrustedProxies,
    /// Shortest gap between two redraws of one live channel: bursts merge into one.
    pub coalesce: Duration,
    /// How long a session lasts after sign-in.
    pub session_ttl: Duration,
    /// SMTP server for e-mails (`smtp://host:port`, `smtps://user:pass@host:465`, …);
    /// None delivers them to the log (and `mail_log`, when set).
    pub smtp: Option<String>,
    /// File e-mails are appended to when there is no SMTP server (demo mode).
    pub mail_log: Option<std::path::PathBuf>,
    /// Sender of the e-mails.
    pub mail_from: String,
    /// How the outbox retries failed deliveries.
    pub email_retry: RetryPolicy,
}

impl Settings {
    pub fn new(addr: impl Into<String>, database: DatabaseUrl) -> Self {
        Self {
            addr: addr.into(),
            database,
            secure_cookies: false,
            trusted_proxies: crate::client::TrustedProxies::default(),
            coalesce: Duration::from_millis(250),
            session_ttl: Duration::from_secs(12 * 3600),
            smtp: None,
            mail_log: None,
            mail_from: "Voelgoed <tickets@voelgoed.invalid>".into(),
            email_retry: RetryPolicy::default(),
        }
    }
}
