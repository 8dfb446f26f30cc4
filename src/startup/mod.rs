//! Assembling the console: start its services (`services.rs`), bind, serve with the
//! middleware every response passes, and stop gracefully. The only part of the library,
//! with `routes.rs`, that knows every feature. `Application::build` binds before
//! returning so tests can ask for port 0.

mod connections;
mod layers;
mod scrape;
mod services;
mod slow_clients;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

pub use layers::{access_logger, device_api, layered_routes};
pub use services::{Services, Workers};
pub use slow_clients::raise_open_file_limit;

use crate::config::Settings;
use crate::{live, telemetry};

pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    services: Services,
    workers: Workers,
}

/// A response's chunks go out once this many bytes wait: a live stream's messages then
/// leave one by one and its connection's write buffer stays in its first 4 KB page
/// (with actix's 8 KB, one update of several messages made both pages of every
/// stream's buffer resident; BENCHMARKS.md, "A stream's memory").
const WRITE_BATCH_BYTES: usize = 1024;

/// How long requests in flight get to finish once shutdown has begun; with the
/// outbox's last delivery after it, the process exits within 10 s.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(7);

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        match raise_open_file_limit() {
            Ok(limit) => tracing::info!(limit, "open-file limit (each live stream holds one)"),
            Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
        }
        // Before any service starts: they look their metrics up once, at their start.
        if settings.metrics.enabled {
            telemetry::install(settings.metrics.upkeep_every);
        }
        let (services, workers) = Services::start(settings).await?;
        let addr = &services.settings.addr;
        let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        let address = listener.local_addr()?;
        let server = serve(listener, services.clone())?;
        Ok(Self {
            address,
            server,
            services,
            workers,
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

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        Ok(())
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections, live
    /// streams end (clients reconnect elsewhere), scan groups in flight are decided and
    /// answered, the e-mail and webhook workers finish their delivery and release what
    /// they claimed, and the bulk-job runner finishes its chunk and gives its job back.
    pub async fn run_until_terminated(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let mut serving = std::pin::pin!(self.server);
        tokio::select! {
            finished = &mut serving => return Ok(finished?),
            signal = termination() => signal?,
        }
        tracing::info!("shutting down: finishing requests in flight, ending live streams");
        self.services.shutdown.begin();
        // The stop is carried out by the server future itself: keep polling it.
        let (_, served) = tokio::join!(handle.stop(true), serving);
        served?;
        let Workers { outbox, bulk_jobs } = self.workers;
        let (mail, bulk) = tokio::join!(
            tokio::time::timeout(Duration::from_secs(2), outbox),
            tokio::time::timeout(Duration::from_secs(2), bulk_jobs)
        );
        if mail.is_err() {
            tracing::warn!("the e-mail or webhook worker did not stop in time");
        }
        if bulk.is_err() {
            tracing::warn!("the bulk-job runner did not stop in time");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// The HTTP server over `listener`: every service as app data, and the route table
/// with the middleware each part of it passes (`layers.rs`).
fn serve(listener: TcpListener, services: Services) -> anyhow::Result<Server> {
    let stream_quota = web::Data::new(crate::auth::StreamQuota::default());
    let slow = services.settings.slow_clients;
    let stream_counts = live::StreamCounts::default();
    let collectors = web::Data::new(scrape::collectors(&services, &stream_counts));
    let stream_counts = web::Data::new(stream_counts);
    let timed = services.settings.metrics.enabled;
    let server = HttpServer::new(move || {
        App::new()
            .configure(|cfg| services.register(cfg))
            .app_data(stream_quota.clone())
            .app_data(stream_counts.clone())
            .app_data(collectors.clone())
            .configure(|cfg| layers::layered_routes(cfg, timed))
    })
    .on_connect(move |connection, data| {
        connections::tune_connection(connection, data);
        slow_clients::bound_unread(connection, &slow);
    })
    // A client that closed its side is gone: its stream ends now, not at the next write.
    .h1_allow_half_closed(false)
    .h1_write_buffer_size(WRITE_BATCH_BYTES)
    .listen(listener)?
    // Signals are ours (`run_until_terminated`), so streams end before the wait.
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
    .run();
    Ok(server)
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
