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

/// `deploy/voelgoed.env` as shipped, with this test's database and Redis.
fn shipped_environment(database_url: &str, redis_url: &str, prefix: &str) -> Vec<(String, String)> {
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/voelgoed.env"))
        .expect("deploy/voelgoed.env");
    let mut environment: Vec<(String, String)> = shipped
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    for (key, value) in [
        ("DATABASE_URL", database_url),
        ("REDIS_URL", redis_url),
        ("VOELGOED_REDIS_PREFIX", prefix),
    ] {
        environment.retain(|(k, _)| k != key);
        environment.push((key.to_owned(), value.to_owned()));
    }
    environment
}

/// A client whose connections come from `source` (any 127.0.0.0/8 address is this
/// machine's loopback, so two of them are two clients nginx tells apart).
fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<std::net::IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in_from(client: &reqwest::Client, base: &str, email: &str, password: &str) -> u16 {
    // The shipped environment marks cookies Secure (TLS ends in front of nginx): this
    // plain-HTTP client hands the sign-in form's cookie back itself.
    let form = client.get(format!("{base}/login")).send().await.unwrap();
    let cookies: Vec<String> = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let token = crate::helpers::csrf_token(&form.text().await.unwrap()).unwrap();
    let fields = [("email", email), ("password", password), ("csrf_token", &token)];
    let response = client
        .post(format!("{base}/login"))
        .header("cookie", cookies.join("; "))
        .form(&fields)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// Issue 22, finding 3: the shipped nginx config and the shipped environment together.
/// Each client is seen at its own address (the audit log says so), `/metrics` is not
/// served through the proxy, and one address's failed sign-ins lock out only itself.
#[tokio::test]
async fn behind_the_shipped_nginx_with_the_shipped_environment_each_client_is_itself() {
    let redis_url = test_redis();
    let prefix = format!("test-nginx-env-{}", voelgoed::auth::random_token());
    let database = fresh_postgres("voelgoed_nginx_env");
    let voelgoed::db::DatabaseUrl::Postgres(database_url) = database.clone() else {
        unreachable!()
    };
    // The fixture's users, written by an instance outside nginx's upstream.
    let fixture = spawn_on(database, |_| {}, tempfile::tempdir().unwrap()).await;
    let port = free_port();
    let mut environment = shipped_environment(&database_url, &redis_url, &prefix);
    // As the environment's comment asks an operator who scrapes the metrics to.
    environment.push(("VOELGOED_METRICS_TOKEN".into(), "scrape-s3cret".into()));
    let _server = ServerProcess::start_from_environment(port, &environment).await;
    let nginx = Nginx::start(&[port]).await;
    let front = format!("http://127.0.0.1:{}", nginx.port);
    let (attacker, owner) = (client_from("127.0.0.2"), client_from("127.0.0.3"));

    let metrics =
        |client: &reqwest::Client, token: &str| client.get(format!("{front}/metrics")).bearer_auth(token).send();
    assert_eq!(
        metrics(&attacker, "").await.unwrap().status(),
        401,
        "no token, no metrics"
    );
    assert_eq!(metrics(&attacker, "guess").await.unwrap().status(), 403);
    assert_eq!(
        metrics(&owner, "scrape-s3cret").await.unwrap().status(),
        200,
        "the token reads them"
    );

    for i in 0..voelgoed::auth::throttle::PER_ADDRESS {
        let status = sign_in_from(&attacker, &front, &format!("guess{i}@a.test"), "wrong").await;
        assert_eq!(status, 401, "attempt {i}");
    }
    assert_eq!(
        sign_in_from(&attacker, &front, "owner@a.test", crate::helpers::PASSWORD).await,
        429,
        "the guessing address is held back"
    );
    assert_eq!(
        sign_in_from(&owner, &front, "owner@a.test", crate::helpers::PASSWORD).await,
        303,
        "another address signs in"
    );
    let sign_ins: Vec<String> = fixture
        .db(|conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::action.eq("sign-in"))
                .select(audit_log::details)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(
        sign_ins,
        ["from 127.0.0.3"],
        "the audit log names the client, not nginx"
    );
}
