//! `deploy/nginx/voelgoed.conf` as shipped, run by the OS's nginx in front of two
//! instances (one in this process, one a separate `voelgoed serve` process) on one
//! PostgreSQL and one Redis: sign-in, pages and an SSE stream all through nginx, with
//! no sticky sessions.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use voelgoed::config::RedisSettings;

use crate::helpers::sse::SseReader;
use crate::helpers::{free_port, fresh_postgres, spawn_on, test_redis, ServerProcess};

/// nginx on a free port with the shipped configuration, its upstreams pointed at `ports`.
struct Nginx {
    port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    async fn start(upstreams: &[u16]) -> Self {
        let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx/voelgoed.conf"))
            .expect("deploy/nginx/voelgoed.conf");
        let servers: String = upstreams
            .iter()
            .map(|port| format!("    server 127.0.0.1:{port} max_fails=3 fail_timeout=5s;\n"))
            .collect();
        let port = free_port();
        let site: String = shipped
            .lines()
            .filter(|line| !line.trim_start().starts_with("server 127.0.0.1:"))
            .map(|line| match line.trim() {
                "upstream voelgoed {" => format!("{line}\n{servers}"),
                "listen 80;" => format!("    listen 127.0.0.1:{port};"),
                _ => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("voelgoed.conf"), site).unwrap();
        let main = format!(
            "daemon off;\n# One process: killing it leaves no worker behind.\nmaster_process off;\npid {0}/nginx.pid;\nerror_log {0}/error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {0}/body;\n  proxy_temp_path {0}/proxy;\n  \
             fastcgi_temp_path {0}/fastcgi;\n  uwsgi_temp_path {0}/uwsgi;\n  scgi_temp_path {0}/scgi;\n  \
             include {0}/voelgoed.conf;\n}}\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        let child = Command::new("nginx")
            .args(["-p", &dir.path().display().to_string(), "-c", "nginx.conf"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx is installed (scripts/test.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_err() {
            assert!(Instant::now() < deadline, "nginx did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { port, child, _dir: dir }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_shipped_nginx_config_serves_two_instances_and_streams_sse_through() {
    let redis_url = test_redis();
    let mut redis = RedisSettings::new(&redis_url);
    redis.prefix = format!("test-nginx-{}", voelgoed::auth::random_token());
    let prefix = redis.prefix.clone();
    let database = fresh_postgres("voelgoed_nginx");
    let voelgoed::db::DatabaseUrl::Postgres(database_url) = database.clone() else {
        unreachable!()
    };
    let first = spawn_on(database, |s| s.redis = Some(redis), tempfile::tempdir().unwrap()).await;
    let second_port = free_port();
    let _second = ServerProcess::start_with(
        &database_url,
        second_port,
        &["--redis", &redis_url, "--redis-prefix", &prefix],
    )
    .await;
    let nginx = Nginx::start(&[first.port(), second_port]).await;
    let front = first.behind(format!("http://127.0.0.1:{}", nginx.port));

    // Signed in through nginx: round robin sends the next requests to either instance.
    let client = front.signed_in("owner@a.test").await;
    for _ in 0..4 {
        let page = front.page(&client, &format!("/events/{}", front.fixture.event_a)).await;
        assert!(page.contains("Alpha Festival"), "the session holds on every instance");
    }
    let mut stream = SseReader::open(
        &front,
        &client,
        &format!("/sse/events/{}/occupancy", front.fixture.event_a),
    )
    .await;
    stream
        .next_update(Duration::from_secs(5))
        .await
        .expect("the current state at once");

    first.sell_tickets_a(2).await;

    let update = stream
        .next_update(Duration::from_secs(2))
        .await
        .expect("a pushed update through nginx, unbuffered");
    assert_eq!(
        crate::helpers::text_of(&update.data, r#"[data-metric="sold"]"#).as_deref(),
        Some("2")
    );
}
