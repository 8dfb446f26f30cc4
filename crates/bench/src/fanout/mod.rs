//! `voelgoed-bench bench-fanout`: thousands of live screens on one instance. Seeds a fresh
//! SQLite database (organisations, events, devices, kiosk links, sessions), starts
//! `voelgoed serve` on it as a process of its own, opens N raw SSE clients spread over
//! the scan monitors, dashboards and kiosks of every event (from several loopback source
//! addresses), drives scans through the device API at a set rate, and reports connect
//! times, delivery latency from each batch's 200 to the message showing its count,
//! messages received vs expected, the server's memory per client and CPU per delivery;
//! optionally with clients that stop reading, a reconnect storm, and a final close of
//! every client to see the server let go of them.

mod client;
mod report;
mod scans;
mod seed;
mod server;
mod soak;
mod storm;

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use client::{Client, Command, Kind, Seen};
use seed::SeededEvent;
pub use storm::Storm;
use voelgoed::auth::SESSION_COOKIE;
use voelgoed::db::DatabaseUrl;

#[derive(clap::Args, Debug)]
pub struct FanoutOptions {
    /// SSE clients to open.
    #[arg(long, default_value_t = 2_000)]
    clients: usize,
    /// Organisations (each with an owner whose sessions hold the streams).
    #[arg(long, default_value_t = 4)]
    orgs: usize,
    /// Events per organisation; clients and scans are spread over all of them.
    #[arg(long, default_value_t = 3)]
    events_per_org: usize,
    /// Share of the clients on scan monitors, in percent (scan log rows and panel).
    #[arg(long, default_value_t = 20)]
    monitors_percent: usize,
    /// Share on dashboards (occupancy channel), in percent.
    #[arg(long, default_value_t = 40)]
    dashboards_percent: usize,
    /// Share on the organisation's overview, in percent; the rest are kiosks. The crowd
    /// of issue 24: `--monitors-percent 20 --dashboards-percent 30 --overview-percent 20`.
    #[arg(long, default_value_t = 0)]
    overview_percent: usize,
    /// Scans posted per second through the device API, over all events.
    #[arg(long, default_value_t = 1_000)]
    scans_per_second: usize,
    /// Seconds of scanning.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Clients opened per second.
    #[arg(long, default_value_t = 2_000)]
    connect_rate: usize,
    /// Clients that stop reading after their first message (they hold their connection).
    #[arg(long, default_value_t = 0)]
    slow_readers: usize,
    /// After the scans: every client reconnects at once (drop) or the server restarts.
    #[arg(long, value_enum)]
    reconnect_storm: Option<Storm>,
    /// Loopback source addresses (127.0.0.2 …) the clients are spread over [one per 8,000].
    #[arg(long)]
    source_addresses: Option<usize>,
    /// The `voelgoed` binary to run as the server [the one beside this binary, as cargo
    /// builds them into one folder].
    #[arg(long, env = "VOELGOED_SERVER_BINARY")]
    server: Option<std::path::PathBuf>,
    /// Scaled out: an empty PostgreSQL database (seeded here) and a Redis. Two instances
    /// run; the scans go to one, every client watches the other, so each push crosses.
    #[arg(long, requires = "redis")]
    postgres: Option<String>,
    #[arg(long, requires = "postgres")]
    redis: Option<String>,
    /// The soak: sample the server's memory every this many seconds while the scans
    /// flow, then judge the curve, the streams and the memory after the clients close.
    #[arg(long)]
    sample_every: Option<u64>,
    /// Seconds to wait after every client closed before the last sample (a soak: 60).
    #[arg(long, default_value_t = 3)]
    close_wait: u64,
    /// Tickets of each event scanned in before the screens open, so a monitor opens on
    /// a full log (100 rows) as it would mid-event; 0: on an empty one.
    #[arg(long, default_value_t = 100)]
    scanned_before: usize,
}

/// Where the clients' accounts live and what they see.
pub(super) struct Run {
    pub events: Vec<SeededEvent>,
    pub clients: Vec<(Kind, usize, Arc<Mutex<Seen>>, bool)>,
    pub commands: tokio::sync::watch::Sender<Command>,
}

pub async fn run(options: FanoutOptions) -> anyhow::Result<()> {
    match voelgoed::startup::raise_open_file_limit() {
        Ok(limit) => println!("open-file limit of this process: {limit}"),
        Err(e) => println!("cannot raise the open-file limit: {e}"),
    }
    // A folder of its own (another bench may run beside it), removed at the end.
    let dir = std::env::temp_dir().join(format!("voelgoed-fanout-{}", voelgoed::auth::random_token()));
    std::fs::create_dir_all(&dir)?;
    let database = options
        .postgres
        .clone()
        .unwrap_or_else(|| format!("{}/fanout.sqlite", dir.display()));
    let events = options.orgs.max(1) * options.events_per_org.max(1);
    // Some bulk-seeded tickets are refunded or cancelled: a fifth more than are scanned.
    let tickets =
        (options.scans_per_second * options.seconds as usize / events * 6 / 5 + 1_000 + options.scanned_before) as i64;
    println!("seeding {events} events of {tickets} tickets …");
    let (pool, seeded) = seed::seed(
        &DatabaseUrl::parse(&database).map_err(anyhow::Error::msg)?,
        options.orgs.max(1),
        options.events_per_org.max(1),
        tickets,
    )
    .await?;
    let log = dir.join("server.log");
    let binary = match &options.server {
        Some(path) => path.clone(),
        None => server::beside_this_binary()?,
    };
    let redis = options.redis.as_deref();
    let mut server = server::Server::start(&binary, &database, redis, log.clone()).await?;
    // Scaled out, the scans go to an instance of their own.
    let scan_instance = match redis {
        Some(_) => Some(server::Server::start(&binary, &database, redis, dir.join("scans.log")).await?),
        None => None,
    };
    let scans_to = scan_instance
        .as_ref()
        .map_or(server.address, |instance| instance.address);
    println!(
        "server pid {} on {} (log {}); {} cores",
        server.pid(),
        server.address,
        log.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    scans::scan_before(&seeded, scans_to, options.scanned_before).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = server::sample(server.pid())?;
    let (run, tasks) = open_clients(&options, &pool, seeded, server.address).await?;
    let opened_at = Instant::now();
    report::wait_streaming(&run, opened_at - Duration::from_secs(3600), Duration::from_secs(120)).await;
    report::connects(&run);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let connected = server::sample(server.pid())?;
    report::memory(&idle, &connected, run.clients.len());

    let curve = options
        .sample_every
        .map(|s| soak::start(server.pid(), Duration::from_secs(s.max(1))));
    let marks = scans::drive(&run, scans_to, &options, server.pid()).await?;
    curve.into_iter().for_each(|curve| curve.finish(&run));
    report::deliveries(&run, &marks);
    let scanned = server::sample(server.pid())?;
    println!(
        "server RSS after {} s of scans: {} KB ({:+.1} % since all clients connected); \
         memory-mapped database pages {} KB of it (were {} KB)",
        options.seconds,
        scanned.rss_kb,
        (scanned.rss_kb as f64 / connected.rss_kb.max(1) as f64 - 1.0) * 100.0,
        scanned.file_kb,
        connected.file_kb
    );
    if options.slow_readers > 0 {
        report::slow_readers(&run, server.address.port());
    }
    if let Some(storm) = options.reconnect_storm {
        storm::storm_phase(&run, &mut server, storm).await?;
    }
    run.commands.send_replace(Command::Finish);
    for task in tasks {
        let _ = task.await;
    }
    tokio::time::sleep(Duration::from_secs(options.close_wait)).await;
    let closed = server::sample(server.pid())?;
    report::closed(&idle, &connected, &closed, server.address).await;
    if options.sample_every.is_some() {
        soak::back_after_close(&idle, &closed, Duration::from_secs(options.close_wait));
    }
    server.stop().await?;
    if let Some(mut instance) = scan_instance {
        instance.stop().await?;
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Every client's stream request, spread over the events and kinds, opened at the
/// connect rate; each monitor and dashboard client has a session shared by at most 8.
async fn open_clients(
    options: &FanoutOptions,
    pool: &voelgoed::db::Pool,
    events: Vec<SeededEvent>,
    server: std::net::SocketAddr,
) -> anyhow::Result<(Run, Vec<tokio::task::JoinHandle<()>>)> {
    let sources = options
        .source_addresses
        .unwrap_or_else(|| options.clients.div_ceil(8_000))
        .clamp(1, 250);
    let (commands, receiver) = tokio::sync::watch::channel(Command::Stream);
    let mut run = Run {
        events,
        clients: Vec::new(),
        commands,
    };
    let mut sessions: Vec<(String, usize)> = vec![(String::new(), usize::MAX); run.events.len()];
    let mut tasks = Vec::new();
    let started = Instant::now();
    for i in 0..options.clients {
        let event_index = i % run.events.len();
        let event = &run.events[event_index];
        // Kinds spread evenly over the events (61 is prime to 100).
        let share = (i / run.events.len() * 61) % 100;
        let kind = match share {
            s if s < options.monitors_percent => Kind::Monitor,
            s if s < options.monitors_percent + options.dashboards_percent => Kind::Dashboard,
            s if s < options.monitors_percent + options.dashboards_percent + options.overview_percent => Kind::Overview,
            _ => Kind::Kiosk,
        };
        let path = match kind {
            Kind::Monitor => voelgoed::paths::scan_monitor_stream(event.event_id),
            Kind::Dashboard => voelgoed::paths::event_dashboard_stream(event.event_id),
            // By the client's turn at its event: `i` itself steps by the number of
            // events, and used only two of eight links (the rest were over their quota).
            Kind::Kiosk => {
                let turn = i / run.events.len();
                voelgoed::paths::kiosk_stream(&event.kiosk_tokens[turn % event.kiosk_tokens.len()])
            }
            Kind::Overview => voelgoed::paths::events_overview_stream(),
        };
        let count_anchor = match kind {
            Kind::Overview => format!("data-event=\"{}\"", event.event_id),
            _ => String::new(),
        };
        let cookie = match kind {
            Kind::Kiosk => String::new(),
            _ => {
                let (token, used) = &mut sessions[event_index];
                if *used >= 8 {
                    *token = seed::session(pool, event.owner_id).await?;
                    *used = 0;
                }
                *used += 1;
                format!("Cookie: {SESSION_COOKIE}={token}\r\n")
            }
        };
        let seen = Arc::new(Mutex::new(Seen::default()));
        let slow = i < options.slow_readers;
        run.clients.push((kind, event_index, seen.clone(), slow));
        let client = Client {
            kind,
            count_anchor,
            request: format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n{cookie}\r\n"),
            server,
            source: Ipv4Addr::new(127, 0, 0, 2 + (i % sources) as u8),
            slow,
            reconnect: options.reconnect_storm.is_some(),
            commands: receiver.clone(),
            seen,
        };
        tasks.push(tokio::spawn(client.run()));
        let due = started + Duration::from_secs_f64((i + 1) as f64 / options.connect_rate.max(1) as f64);
        tokio::time::sleep_until(due.into()).await;
    }
    println!(
        "opened {} clients from {sources} source address(es) in {:.1} s",
        options.clients,
        started.elapsed().as_secs_f64()
    );
    Ok((run, tasks))
}
