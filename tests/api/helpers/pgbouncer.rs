//! A PgBouncer of the test's own in transaction pooling (Debian's `pgbouncer`) in front
//! of the test PostgreSQL (`VOELGOED_TEST_POSTGRES`), on a free port, stopped on drop.
//! Its pool is small (10 server connections per database and user), so the app's
//! connections really share server connections between transactions.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use voelgoed::db::DatabaseUrl;

/// Server connections per database and user: fewer than one instance's pages pool.
pub const POOL_SIZE: u32 = 10;

pub struct PgBouncer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// The test server's admin URL.
pub fn admin_url() -> String {
    std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh")
}

impl PgBouncer {
    /// Writes its ini file and starts it in front of the test PostgreSQL.
    pub async fn start() -> Self {
        let admin = admin_url();
        let (user, address) = admin
            .strip_prefix("postgres://")
            .or_else(|| admin.strip_prefix("postgresql://"))
            .and_then(|rest| rest.split('/').next()?.split_once('@'))
            .expect("VOELGOED_TEST_POSTGRES is postgres://USER@HOST:PORT/DB");
        let (host, upstream_port) = address.rsplit_once(':').unwrap_or((address, "5432"));
        let (user, password) = match user.split_once(':') {
            Some((user, password)) => (user, format!(" password={password}")),
            None => (user, String::new()),
        };
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = super::free_port();
        let ini = format!(
            "[databases]\n\
             * = host={host} port={upstream_port}{password}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {users}\n\
             pool_mode = transaction\n\
             max_client_conn = 2000\n\
             default_pool_size = {POOL_SIZE}\n\
             reserve_pool_size = 0\n\
             query_wait_timeout = 10\n",
            users = dir.path().join("users.txt").display(),
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), ini).expect("ini written");
        std::fs::write(dir.path().join("users.txt"), format!("\"{user}\" \"\"\n")).expect("users written");
        // PgBouncer will not run as root: as root it drops to the postgres user (see
        // `restart`), which must read the folder.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut bouncer = Self { port, dir, child: None };
        bouncer.restart().await;
        bouncer
    }

    /// The URL the app reaches database `name` through it with (`?pooler=transaction`).
    pub fn url(&self, name: &str) -> String {
        let admin = admin_url();
        let user = admin
            .split("//")
            .nth(1)
            .and_then(|rest| rest.split_once('@'))
            .map(|(user, _)| user)
            .unwrap_or("postgres");
        format!("postgres://{user}@127.0.0.1:{}/{name}?pooler=transaction", self.port)
    }

    /// Starts it (again) on its port and waits until it accepts connections.
    pub async fn restart(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("pgbouncer.log")).expect("log file");
        let mut command = Command::new("pgbouncer");
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if root {
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(self.dir.path().join("pgbouncer.ini"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("pgbouncer is installed (apt-get install pgbouncer)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "pgbouncer did not start: {}", self.log());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: every client and server connection drops at once.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What it logged since it last started.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh database `name` (unique per process) on the test server whose default
/// timeouts (the ones behind a transaction pooler, set per database so other tests
/// keep theirs) are `timeout_ms`; its URL through `bouncer`.
pub fn fresh_database_through(bouncer: &PgBouncer, name: &str, timeout_ms: u64) -> DatabaseUrl {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let name = format!("{name}_{}", std::process::id());
    super::postgres::fresh_postgres_database(&admin_url(), &name);
    let mut admin = PgConnection::establish(&admin_url()).expect("PostgreSQL reachable");
    if timeout_ms > 0 {
        for setting in voelgoed::db::POOLER_TIMEOUTS {
            diesel::sql_query(format!("ALTER DATABASE {name} SET {setting} = {timeout_ms}"))
                .execute(&mut admin)
                .expect("ALTER DATABASE");
        }
    }
    DatabaseUrl::parse(&bouncer.url(&name)).expect("a PostgreSQL URL")
}

/// Two app instances (one Redis, keys under their own prefix) on a fresh database
/// reached through `bouncer`, with the app's default timeouts as the server's.
pub async fn scaled_out_through(bouncer: &PgBouncer, name: &str, redis_url: &str) -> (super::TestApp, super::TestApp) {
    let url = fresh_database_through(bouncer, name, 5_000);
    super::scaled_out_on(url, name, redis_url).await
}
