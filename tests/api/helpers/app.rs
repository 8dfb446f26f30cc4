//! `spawn_app`, the fixture data every test starts from, and the `TestApp` methods the tests drive it with.

use std::process::Command;
use std::time::Duration;

use voelgoed::auth::{hash_password, Role};
use voelgoed::config::Settings;
use voelgoed::db::{self, DatabaseUrl, DbConnection, Tenant};
use voelgoed::orders::{place_order, NewOrder};
use voelgoed::provisioning::{self, NewEvent};
use voelgoed::startup::{Application, Services};

pub const PASSWORD: &str = "correct horse battery";

/// `PASSWORD`'s hash, made once (hashing is slow on purpose), for users a test adds.
pub fn password_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).expect("hash")).clone()
}

pub struct TestApp {
    pub address: String,
    pub services: Services,
    pub fixture: Fixture,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
/// Two organisations: A (owner and supervisor, one live event) and B (owner, one
/// event), so every test can try to cross the line.
pub struct Fixture {
    pub org_a: Tenant,
    pub org_b: Tenant,
    pub owner_a: String,
    pub supervisor_a: String,
    pub owner_b: String,
    pub event_a: i64,
    pub event_b: i64,
    pub ticket_type_a: i64,
    pub ticket_type_b: i64,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test.sqlite");
    let url = DatabaseUrl::parse(path.to_str().expect("utf-8 path")).expect("url");
    spawn_on(url, configure, dir).await
}

/// A second instance of the app on the same database (as behind a load balancer),
/// sharing `first`'s fixture.
pub async fn another_instance(first: &TestApp) -> TestApp {
    let settings = first.services.settings.as_ref().clone();
    let app = Application::build(Settings {
        addr: "127.0.0.1:0".into(),
        ..settings
    })
    .await
    .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let services = app.services().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        services,
        fixture: first.fixture.clone(),
        _dir: tempfile::tempdir().expect("temp dir"),
    }
}

pub async fn spawn_on(url: DatabaseUrl, configure: impl FnOnce(&mut Settings), dir: tempfile::TempDir) -> TestApp {
    let mut settings = Settings::new("127.0.0.1:0", url);
    settings.coalesce = Duration::from_millis(100);
    // The tests read the arrivals from the first page: wait for them however busy the
    // box (the default paints "Loading…" after 10 ms and lets the stream bring them).
    settings.arrivals_first_paint = Duration::from_secs(5);
    configure(&mut settings);
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let services = app.services().clone();
    tokio::spawn(app.run_until_stopped());
    let pool = services.pool.clone();
    let fixture = tokio::task::spawn_blocking(move || create_fixture(&mut pool.get().expect("connection")))
        .await
        .expect("fixture task");
    TestApp {
        address,
        services,
        fixture,
        _dir: dir,
    }
}

fn create_fixture(conn: &mut DbConnection) -> Fixture {
    let hash = hash_password(PASSWORD).expect("hash");
    let org_a = provisioning::create_organization(conn, "Org A", "Europe/Amsterdam").expect("org a");
    let org_b = provisioning::create_organization(conn, "Org B", "Africa/Johannesburg").expect("org b");
    provisioning::create_user_with_hash(conn, &org_a, "owner@a.test", "Alice Owner", &hash, Role::Owner).expect("user");
    let supervisor =
        provisioning::create_user_with_hash(conn, &org_a, "super@a.test", "Sam Super", &hash, Role::Supervisor)
            .expect("user");
    let steward =
        provisioning::create_user_with_hash(conn, &org_a, "steward@a.test", "Stella Steward", &hash, Role::Steward)
            .expect("user");
    provisioning::create_user_with_hash(conn, &org_a, "finance@a.test", "Fin Finance", &hash, Role::Finance)
        .expect("user");
    provisioning::create_user_with_hash(conn, &org_b, "owner@b.test", "Bob Owner", &hash, Role::Owner).expect("user");
    let now = db::now_ms();
    let event = |name| NewEvent {
        name,
        venue: "Test Hall",
        starts_at: now - 3_600_000,
        ends_at: now + 3_600_000,
        timezone: "Europe/Amsterdam",
        capacity: 1_000,
        currency: "EUR",
        sales_open_at: now - 86_400_000,
    };
    let event_a = provisioning::create_event(conn, &org_a, &event("Alpha Festival")).expect("event a");
    let event_b = provisioning::create_event(conn, &org_b, &event("Bravo Concert")).expect("event b");
    for user in [supervisor, steward] {
        assert!(provisioning::assign_events(conn, &org_a, user, &[event_a]).expect("assign"));
    }
    let ticket_type_a = provisioning::create_ticket_type(conn, &org_a, event_a, "Regular", 4_550, 500).expect("type");
    let ticket_type_b = provisioning::create_ticket_type(conn, &org_b, event_b, "Regular", 2_000, 500).expect("type");
    Fixture {
        org_a,
        org_b,
        owner_a: "owner@a.test".into(),
        supervisor_a: "super@a.test".into(),
        owner_b: "owner@b.test".into(),
        event_a,
        event_b,
        ticket_type_a,
        ticket_type_b,
    }
}

/// The real `voelgoed` binary run with `args`, to its end.
pub fn voelgoed(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_voelgoed"))
        .args(args)
        .output()
        .expect("voelgoed runs")
}

impl TestApp {
    /// The app's database as the command line takes it (`--database`).
    pub fn database_text(&self) -> String {
        match &self.services.settings.database {
            DatabaseUrl::Sqlite(url) | DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// `voelgoed admin …` on this app's database (`--database` added), off the runtime.
    pub async fn admin(&self, args: &[&str]) -> std::process::Output {
        let mut args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        args.insert(0, "admin".into());
        args.insert(2, "--database".into());
        args.insert(3, self.database_text());
        tokio::task::spawn_blocking(move || voelgoed(&args.iter().map(String::as_str).collect::<Vec<_>>()))
            .await
            .expect("command task")
    }

    /// `voelgoed seed` (the bulk seed: `orgs` new organisations, owner
    /// owner@seed-K.test / seed-owner, sharing `orders` orders) run by the binary on this
    /// app's database while the app runs.
    pub async fn bulk_seed(&self, orders: u64, orgs: u32) {
        let database = self.database_text();
        let (orders, orgs) = (orders.to_string(), orgs.to_string());
        let output = tokio::task::spawn_blocking(move || {
            voelgoed(&["seed", "--database", &database, "--orders", &orders, "--orgs", &orgs])
        })
        .await
        .expect("seed task");
        assert!(
            output.status.success(),
            "seed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn port(&self) -> u16 {
        self.address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    }

    /// The same app reached at another address (a proxy in front of it).
    pub fn behind(&self, address: String) -> TestApp {
        TestApp {
            address,
            services: self.services.clone(),
            fixture: self.fixture.clone(),
            _dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The body of `GET path` with `client`'s session.
    pub async fn page(&self, client: &reqwest::Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body")
    }

    /// A client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        browser_like_client()
    }

    /// A client signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        self.signed_in_as(email, PASSWORD).await
    }

    pub async fn signed_in_as(&self, email: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        assert_eq!(
            self.sign_in(&client, email, password).await.status(),
            303,
            "sign-in as {email}"
        );
        client
    }

    /// Opens the sign-in page (for its CSRF cookie and token) and posts the form.
    pub async fn sign_in(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        sign_in_at(&self.address, client, email, password).await
    }

    /// A new scanning device at a gate of org A's event (gate created when missing):
    /// its token and id.
    pub async fn device_a(&self, gate: &str) -> (String, i64) {
        let (tenant, event_id, gate) = (self.fixture.org_a, self.fixture.event_a, gate.to_owned());
        self.db(move |conn| {
            let gate_id = provisioning::find_or_create_gate(conn, &tenant, event_id, &gate).expect("gate");
            let (id, token) = provisioning::create_device(conn, &tenant, event_id, gate_id, &format!("{gate} scanner"))
                .expect("device");
            (token, id)
        })
        .await
    }

    /// Posts a scan batch with a device token; the status and the JSON answer.
    pub async fn post_scans(&self, token: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let response = reqwest::Client::new()
            .post(self.url("/api/v1/scans"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("POST scans");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Revokes a scanning device, as an administrator would in the database.
    pub async fn revoke_device(&self, device_id: i64) {
        self.db(move |conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::devices;
            diesel::update(devices::table.find(device_id))
                .set(devices::revoked_at.eq(Some(1)))
                .execute(conn)
                .expect("revoke");
        })
        .await;
    }

    /// Runs blocking database work against the app's pool.
    pub async fn db<T: Send + 'static>(&self, work: impl FnOnce(&mut DbConnection) -> T + Send + 'static) -> T {
        let pool = self.services.pool.clone();
        tokio::task::spawn_blocking(move || work(&mut pool.get().expect("connection")))
            .await
            .expect("db task")
    }

    /// Sells `quantity` tickets of org A's event: commits and publishes, as every sale does.
    pub async fn sell_tickets_a(&self, quantity: i64) -> voelgoed::orders::PlacedOrder {
        let (tenant, order) = (self.fixture.org_a, self.order_a(quantity));
        let bus = self.services.bus.clone();
        self.db(move |conn| {
            voelgoed::orders::sell(conn, bus.get_ref(), &tenant, &order)
                .expect("order query")
                .expect("tickets available")
        })
        .await
    }

    /// Writes an order of one ticket for org B's event, telling nobody; its code.
    pub async fn place_ticket_b(&self) -> String {
        let (tenant, event_id, ticket_type) = (self.fixture.org_b, self.fixture.event_b, self.fixture.ticket_type_b);
        self.db(move |conn| {
            let order = voelgoed::orders::NewOrder {
                event_id,
                buyer_name: "B".into(),
                buyer_email: "b@b.test".into(),
                items: vec![voelgoed::orders::OrderItem::new(ticket_type, 1)],
                created_at: 0,
            };
            let placed = voelgoed::orders::place_order(conn, &tenant, &order).expect("order query");
            placed.expect("tickets available").ticket_codes[0].clone()
        })
        .await
    }

    /// Writes an order of `quantity` tickets for org A's event, telling nobody.
    pub async fn place_order_a(&self, quantity: i64) -> voelgoed::orders::PlacedOrder {
        let (tenant, order) = (self.fixture.org_a, self.order_a(quantity));
        self.db(move |conn| {
            place_order(conn, &tenant, &order)
                .expect("order query")
                .expect("tickets available")
        })
        .await
    }

    /// An order of `quantity` tickets of org A's ticket type, placed now.
    fn order_a(&self, quantity: i64) -> NewOrder {
        NewOrder {
            event_id: self.fixture.event_a,
            buyer_name: "Test Buyer".into(),
            buyer_email: "buyer@example.test".into(),
            items: vec![voelgoed::orders::OrderItem::new(self.fixture.ticket_type_a, quantity)],
            created_at: db::now_ms(),
        }
    }

    pub async fn count(&self, table: &'static str) -> i64 {
        self.single_number(format!("SELECT COUNT(*) AS n FROM {table}")).await
    }

    /// The id of the user who signs in as `email`.
    pub async fn user_id(&self, email: &str) -> i64 {
        let email = email.to_owned();
        self.db(move |conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::users;
            users::table
                .filter(users::email.eq(email))
                .select(users::id)
                .first(conn)
                .expect("a user of the fixture")
        })
        .await
    }

    /// A second event of organisation A ("Gamma Night", running now), which the
    /// fixture's supervisor and steward do not run: its id and a ticket type of it.
    pub async fn another_event_a(&self) -> (i64, i64) {
        let tenant = self.fixture.org_a;
        self.db(move |conn| {
            let now = db::now_ms();
            let event = NewEvent {
                name: "Gamma Night",
                venue: "Side Hall",
                starts_at: now,
                ends_at: now + 3_600_000,
                timezone: "Europe/Amsterdam",
                capacity: 100,
                currency: "EUR",
                sales_open_at: now - 1_000,
            };
            let id = provisioning::create_event(conn, &tenant, &event).expect("event");
            let ticket_type = provisioning::create_ticket_type(conn, &tenant, id, "Door", 1_000, 50).expect("type");
            (id, ticket_type)
        })
        .await
    }

    /// The id of the newest row of `table` (which must have one).
    pub async fn newest_id(&self, table: &'static str) -> i64 {
        self.single_number(format!("SELECT MAX(id) AS n FROM {table}")).await
    }

    /// A query whose one row is one number, named `n`.
    async fn single_number(&self, sql: String) -> i64 {
        self.db(move |conn| {
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct Number {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::sql_query(sql).get_result::<Number>(conn).expect("one number").n
        })
        .await
    }
}

/// The value of the first `csrf_token` hidden field in a page.
pub fn csrf_token(page: &str) -> Option<String> {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse(r#"input[name="csrf_token"]"#).ok()?;
    html.select(&selector).next()?.value().attr("value").map(str::to_owned)
}

/// A client with its own cookie jar that does not follow redirects.
pub fn browser_like_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Opens the sign-in page of the server at `base` (for its CSRF cookie and token) and
/// posts the form.
pub async fn sign_in_at(base: &str, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    let token = csrf_token(&page).expect("the sign-in form carries a CSRF token");
    client
        .post(format!("{base}/login"))
        .form(&[("email", email), ("password", password), ("csrf_token", &token)])
        .send()
        .await
        .expect("post login")
}

/// Text of the first element matching `css`.
pub fn text_of(page: &str, css: &str) -> Option<String> {
    let html = scraper::Html::parse_document(page);
    let selector = scraper::Selector::parse(css).ok()?;
    html.select(&selector).next().map(|e| e.text().collect::<String>())
}

/// One scan as a device sends it, scanned now.
pub fn scan(id: &str, code: &str, direction: &str) -> serde_json::Value {
    serde_json::json!({ "id": id, "ticket_code": code, "direction": direction, "scanned_at": chrono::Utc::now().to_rfc3339() })
}

/// A batch of scans.
pub fn batch(scans: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({ "scans": scans })
}

/// The Redis of the README's test command (`VOELGOED_TEST_REDIS`).
pub fn test_redis() -> String {
    std::env::var("VOELGOED_TEST_REDIS")
        .expect("VOELGOED_TEST_REDIS must name a Redis server: run the tests with scripts/test.sh")
}

/// A fresh PostgreSQL database (on `VOELGOED_TEST_POSTGRES`) named `name`.
pub fn fresh_postgres(name: &str) -> DatabaseUrl {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let name = format!("{name}_{}", std::process::id());
    DatabaseUrl::parse(&crate::helpers::postgres::fresh_postgres_database(&admin_url, &name)).expect("url")
}

/// Two instances of the app on one fresh PostgreSQL database and one Redis (keys under
/// their own prefix, so tests sharing a Redis never meet), as behind a load balancer.
pub async fn scaled_out(name: &str, redis_url: &str) -> (TestApp, TestApp) {
    scaled_out_on(fresh_postgres(name), name, redis_url).await
}

/// `scaled_out` on the database `url` names.
pub async fn scaled_out_on(url: DatabaseUrl, name: &str, redis_url: &str) -> (TestApp, TestApp) {
    let mut redis = voelgoed::config::RedisSettings::new(redis_url);
    redis.prefix = format!("test-{name}-{}", voelgoed::auth::random_token());
    let first = spawn_on(url, |s| s.redis = Some(redis), tempfile::tempdir().expect("dir")).await;
    let second = another_instance(&first).await;
    (first, second)
}
