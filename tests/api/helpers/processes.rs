//! Servers as separate processes: `voelgoed serve` (to stop, kill or restart as an
//! operator would) and a Redis of the test's own (to restart, freeze or flush).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A free local port (bound and released at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// The server as its own process, so a test can kill or restart it.
pub struct ServerProcess {
    child: std::process::Child,
}

impl ServerProcess {
    pub async fn start(database: &str, port: u16) -> Self {
        Self::start_logging(database, port, Stdio::null()).await
    }

    /// With more flags (e.g. `--redis URL`).
    pub async fn start_with(database: &str, port: u16, flags: &[&str]) -> Self {
        Self::launch(database, port, flags, Stdio::null()).await
    }

    /// Started with every request logged (`RUST_LOG=voelgoed::http=info`) to `log`.
    pub async fn start_logging(database: &str, port: u16, log: impl Into<Stdio>) -> Self {
        Self::launch(database, port, &[], log).await
    }

    async fn launch(database: &str, port: u16, flags: &[&str], log: impl Into<Stdio>) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_voelgoed"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database", database])
            .args(flags)
            .env("RUST_LOG", "voelgoed::http=info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Self::started(child, port).await
    }

    /// `voelgoed serve` configured by the environment alone (as the systemd unit runs it).
    pub async fn start_from_environment(port: u16, environment: &[(String, String)]) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_voelgoed"))
            .arg("serve")
            .env_clear()
            .envs(environment.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("VOELGOED_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self::started(child, port).await
    }

    async fn started(child: std::process::Child, port: u16) -> Self {
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child }
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn stop(self) {
        drop(self);
    }

    /// SIGTERM, as a service manager stops a server.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// How the process ended, if it did within `timeout`.
    pub async fn exited_within(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for ServerProcess {
    /// Also when a test panics: no server outlives its test.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A redis-server of the test's own, on a free loopback port, without persistence:
/// stopping and starting it is a restart that loses everything.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl RedisServer {
    pub async fn start() -> Self {
        let mut server = Self {
            port: free_port(),
            child: None,
        };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) and waits until it answers.
    pub async fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: everything in it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGSTOP / SIGCONT: a Redis that holds its connections open and never answers.
    pub fn freeze(&self, frozen: bool) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = Command::new("kill").args([signal, &pid]).status().expect("kill");
        assert!(status.success());
    }

    pub fn flushall(&self) {
        let status = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "FLUSHALL"])
            .stdout(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(status.success());
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.freeze(false);
        }
        self.kill();
    }
}
