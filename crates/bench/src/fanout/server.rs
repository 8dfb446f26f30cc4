//! The server under test, in a process of its own (so its memory and CPU are its own):
//! `voelgoed serve` (the server binary, not this one) on the bench database, stopped with
//! SIGTERM and started again for a restart storm; and what /proc says about it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    binary: PathBuf,
    pub address: SocketAddr,
    database: String,
    /// Scaled out: `--redis URL`.
    redis: Option<String>,
    log: std::path::PathBuf,
}

impl Server {
    /// Starts `voelgoed serve` (scaled out with `redis`) and waits until it accepts
    /// connections.
    pub async fn start(binary: &Path, database: &str, redis: Option<&str>, log: PathBuf) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let redis = redis.map(str::to_owned);
        let child = spawn(binary, database, redis.as_deref(), address, &log)?;
        let server = Self {
            child,
            binary: binary.to_owned(),
            address,
            database: database.to_owned(),
            redis,
            log,
        };
        server.wait_until_up().await?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_until_up(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(self.address).await.is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server did not start; see {}",
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// SIGTERM, wait for the exit, start again: how long it was down.
    pub async fn restart(&mut self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        self.stop().await?;
        self.child = spawn(
            &self.binary,
            &self.database,
            self.redis.as_deref(),
            self.address,
            &self.log,
        )?;
        self.wait_until_up().await?;
        Ok(started.elapsed())
    }

    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                self.child.kill()?;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// `voelgoed` in this binary's folder: cargo builds both binaries of the workspace into
/// one (target/release/), so a run needs no path.
pub fn beside_this_binary() -> anyhow::Result<PathBuf> {
    let this = std::env::current_exe()?;
    let server = this.with_file_name(format!("voelgoed{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        server.is_file(),
        "no server binary at {} (cargo build --release --bin voelgoed, or pass --server PATH)",
        server.display()
    );
    Ok(server)
}

fn spawn(binary: &Path, database: &str, redis: Option<&str>, address: SocketAddr, log: &Path) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    let scaled_out = redis.map(|url| ["--redis", url]);
    let child = Command::new(binary)
        .args(["serve", "--addr", &address.to_string(), "--database", database])
        .args(scaled_out.iter().flatten())
        .env("RUST_LOG", "warn")
        // The seeded sessions hold the streams and are used by nothing else: kept as
        // long as a session may live at all, so a long run's streams outlive 30 minutes.
        .env("VOELGOED_SESSION_IDLE_MINUTES", "720")
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()?;
    Ok(child)
}

/// What /proc says about a process at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub at: Instant,
    pub rss_kb: u64,
    /// Of which file pages: the database's memory-mapped pages (SQLite `mmap_size`).
    pub file_kb: u64,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    pub open_files: usize,
}

impl Sample {
    /// What the server holds itself: its RSS less the database pages SQLite maps (they
    /// come and go with what the first frames read).
    pub fn anonymous_kb(&self) -> u64 {
        self.rss_kb.saturating_sub(self.file_kb)
    }
}

/// Clock ticks per second of /proc/<pid>/stat (100 on Linux).
pub const TICKS_PER_SECOND: f64 = 100.0;

pub fn sample(pid: u32) -> anyhow::Result<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = |field: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let (rss_kb, file_kb) = (kb("VmRSS:"), kb("RssFile:"));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) closing with ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name.
    let cpu_ticks = field(11) + field(12);
    let open_files = std::fs::read_dir(format!("/proc/{pid}/fd"))?.count();
    Ok(Sample {
        at: Instant::now(),
        rss_kb,
        file_kb,
        cpu_ticks,
        open_files,
    })
}

/// Bytes waiting in the kernel on the server's side of each connection to a client
/// address in `clients` (unsent or unacknowledged), and how many of those connections exist.
pub fn server_send_queues(server_port: u16, clients: &std::collections::HashSet<SocketAddr>) -> (usize, Vec<usize>) {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port_of = |address: &str| u16::from_str_radix(address.rsplit(':').next().unwrap_or(""), 16).ok();
    // /proc/net/tcp writes an IPv4 address as its 32 bits in host (little-endian) order.
    let address_of = |address: &str| -> Option<SocketAddr> {
        let (ip, port) = address.split_once(':')?;
        let ip = u32::from_str_radix(ip, 16).ok()?;
        let ip = std::net::Ipv4Addr::from(ip.swap_bytes());
        Some(SocketAddr::new(ip.into(), u16::from_str_radix(port, 16).ok()?))
    };
    let queues: Vec<usize> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, remote, queues) = (fields.get(1)?, fields.get(2)?, fields.get(4)?);
            let remote = address_of(remote)?;
            (port_of(local) == Some(server_port) && clients.contains(&remote))
                .then(|| usize::from_str_radix(queues.split(':').next().unwrap_or("0"), 16).unwrap_or(0))
        })
        .collect();
    (queues.len(), queues)
}
