//! Building the server: open and migrate the database, start the live hub, bind, serve.
//! `Application::build` binds before returning so tests can ask for port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use crate::config::Settings;
use crate::db::{self, Pool};
use crate::live::{Bus, Hub, InProcessBus};
use crate::routes;
use crate::scanning::{self, ScanWriter};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub bus: Arc<dyn Bus>,
    pub hub: Hub,
    pub scan_writer: ScanWriter,
    pub settings: Arc<Settings>,
}

pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let url = settings.database.clone();
        let pool = tokio::task::spawn_blocking(move || -> anyhow::Result<Pool> {
            let pool = db::connect(&url).context("cannot open the database")?;
            db::migrate(&pool)?;
            Ok(pool)
        })
        .await??;
        let bus: Arc<dyn Bus> = Arc::new(InProcessBus::new());
        let hub = Hub::start(bus.as_ref(), settings.coalesce);
        let scan_writer = ScanWriter::start(pool.clone(), scanning::live::on_commit(bus.clone()));
        let state = AppState {
            pool,
            bus,
            hub,
            scan_writer,
            settings: Arc::new(settings),
        };

        let listener = TcpListener::bind(&state.settings.addr)
            .with_context(|| format!("cannot listen on {}", state.settings.addr))?;
        let address = listener.local_addr()?;
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(middleware::Compress::default())
                .wrap(middleware::Logger::new("%r %s %Dms").log_target("voelgoed::http"))
                .configure(routes::configure)
        })
        .listen(listener)?
        .shutdown_timeout(5)
        .run();
        Ok(Self {
            address,
            server,
            state,
        })
    }

    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The running app's state, for the demo simulator and tests.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        Ok(())
    }
}
