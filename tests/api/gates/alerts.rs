//! Gate anomaly alerts, triggered by scripted scans and heartbeats through the device
//! API on both backends: each kind opens an alert, shown on the scan monitor and the
//! gate's kiosk and pushed live (each push under 2 KB); acknowledging is audited,
//! idempotent and scoped to the organisation; two instances open an alert once.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use voelgoed::db::schema::{audit_log, devices, gate_alerts};

use crate::helpers::kiosk::create_link;
use crate::helpers::postgres::spawn_postgres_app_with;
use crate::helpers::sse::SseReader;
use crate::helpers::{batch, csrf_token, scan, spawn_app_with, TestApp};

crate::helpers::on_both_backends!(
    every_kind_opens_an_alert_shown_on_the_monitor_and_the_gates_kiosk:
    sqlite_app(),
    postgres_app("alerts_kinds"),
);
crate::helpers::on_both_backends!(
    acknowledging_is_audited_idempotent_and_scoped:
    sqlite_app(),
    postgres_app("alerts_ack"),
);

/// The largest pushed message the issue allows.
const MAX_PUSH: usize = 2 * 1024;

fn fast(settings: &mut voelgoed::config::Settings) {
    settings.alert_check_every = Duration::from_millis(200);
}

async fn sqlite_app() -> TestApp {
    spawn_app_with(fast).await
}

async fn postgres_app(name: &str) -> TestApp {
    spawn_postgres_app_with(name, fast).await
}

fn monitor(app: &TestApp) -> String {
    format!("/events/{}/scans", app.fixture.event_a)
}

/// Unknown codes at a gate, scanned now: `prefix` then a counter.
async fn unknown_codes(app: &TestApp, token: &str, prefix: &str, n: usize) {
    let scans = (0..n)
        .map(|i| scan(&voelgoed::auth::random_token(), &format!("{prefix}{i:04}XYZ"), "in"))
        .collect();
    let (status, _) = app.post_scans(token, &batch(scans)).await;
    assert_eq!(status, 200);
}

/// Different unknown codes with no shared prefix.
async fn scattered_unknown_codes(app: &TestApp, token: &str, n: usize) {
    let scans = (0..n)
        .map(|i| {
            scan(
                &format!("scatter-{i}"),
                &format!("{}Q{i}", voelgoed::auth::random_token()),
                "in",
            )
        })
        .collect();
    app.post_scans(token, &batch(scans)).await;
}

async fn heartbeat(app: &TestApp, token: &str, battery: i32) {
    let status = reqwest::Client::new()
        .post(app.url("/api/v1/devices/heartbeat"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "battery": battery }))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());
}

/// The kinds of the alerts open on the monitor, waiting until `expected` are all there.
async fn wait_for_kinds(app: &TestApp, client: &reqwest::Client, expected: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = app.page(client, &monitor(app)).await;
        if expected
            .iter()
            .all(|kind| page.contains(&format!(r#"data-kind="{kind}""#)))
        {
            return page;
        }
        assert!(
            Instant::now() < deadline,
            "alerts {expected:?} never all opened:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn stage_every_kind(app: &TestApp) {
    let (north, _) = app.device_a("North").await;
    let (south, _) = app.device_a("South").await;
    let (east, _) = app.device_a("East").await;
    let (west, _) = app.device_a("West").await;
    let (_west_two, west_two_id) = app.device_a("West").await;
    // A counterfeit batch at North: four forged codes with one prefix.
    unknown_codes(app, &north, "FAKE01", 4).await;
    // A spike at South: six unknown codes, no prefix in common, against no baseline.
    scattered_unknown_codes(app, &south, 6).await;
    // Ticket passing at East: one ticket in, then presented three more times.
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let passes = (0..4).map(|i| scan(&format!("pass-{i}"), &code, "in")).collect();
    app.post_scans(&east, &batch(passes)).await;
    // West: one scanner busy, the other last heard from five minutes ago.
    let codes = app.sell_tickets_a(10).await.ticket_codes;
    let busy = codes
        .iter()
        .enumerate()
        .map(|(i, c)| scan(&format!("busy-{i}"), c, "in"))
        .collect();
    app.post_scans(&west, &batch(busy)).await;
    let five_minutes_ago = voelgoed::db::now_ms() - 5 * 60_000;
    app.db(move |conn| {
        diesel::update(devices::table.find(west_two_id))
            .set(devices::last_heartbeat_at.eq(five_minutes_ago))
            .execute(conn)
            .unwrap()
    })
    .await;
    // And the busy West scanner's battery runs low.
    heartbeat(app, &west, 12).await;
}

const EVERY_KIND: [&str; 5] = [
    "counterfeit_batch",
    "invalid_spike",
    "ticket_passing",
    "device_silent",
    "low_battery",
];

async fn every_kind_opens_an_alert_shown_on_the_monitor_and_the_gates_kiosk(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    let north_kiosk = create_link(&app, &owner, &gate_id(&app, "North").await.to_string()).await;
    stage_every_kind(&app).await;

    let page = wait_for_kinds(&app, &owner, &EVERY_KIND).await;

    assert!(page.contains("Counterfeit batch") && page.contains("Gate North"));
    assert!(page.contains("4 unknown codes starting FAKE01 in 2 min"));
    assert!(page.contains("6 unknown codes in 2 min"));
    assert!(page.contains("West scanner silent for "), "the silent device by name");
    assert!(page.contains("battery at 12 %"));
    assert!(page.contains(r#"aria-live="polite""#));
    assert_eq!(page.matches(">Acknowledge</button>").count(), 5);
    let kiosk = app
        .client()
        .get(app.url(&north_kiosk))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        kiosk.contains("Counterfeit batch"),
        "the North kiosk shows North's alert"
    );
    assert!(!kiosk.contains("Ticket passing"), "and not the other gates'");
    assert_eq!(open_rows(&app).await, 5, "one alert per condition");
}

async fn gate_id(app: &TestApp, name: &'static str) -> i64 {
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    app.db(move |conn| voelgoed::provisioning::find_or_create_gate(conn, &tenant, event, name).unwrap())
        .await
}

async fn open_rows(app: &TestApp) -> i64 {
    app.db(|conn| {
        gate_alerts::table
            .filter(gate_alerts::closed_at.is_null())
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

/// The next `event` message of a stream whose data contains `text`.
async fn pushed(stream: &mut SseReader, event: &str, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    while let Some(message) = stream.next(deadline.saturating_duration_since(Instant::now())).await {
        if message.event != event {
            continue;
        }
        assert!(
            message.data.len() <= MAX_PUSH,
            "a {event} push of {} bytes",
            message.data.len()
        );
        if message.data.contains(text) {
            return message.data;
        }
    }
    panic!("no {event} push with {text:?}");
}

#[tokio::test]
async fn the_monitor_and_the_kiosk_are_pushed_a_new_alert_each_push_under_2_kb() {
    let app = sqlite_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let (north, _) = app.device_a("North").await;
    let kiosk = create_link(&app, &owner, &gate_id(&app, "North").await.to_string()).await;
    let mut monitor_stream = SseReader::open(&app, &owner, &format!("/sse{}", monitor(&app))).await;
    let mut kiosk_stream = SseReader::open(&app, &app.client(), &format!("{kiosk}/stream")).await;
    pushed(&mut monitor_stream, "gate-alerts", "No open alerts").await;

    unknown_codes(&app, &north, "FAKE01", 4).await;

    let alert = pushed(&mut monitor_stream, "gate-alerts", "Counterfeit batch").await;
    assert!(alert.contains(r#"role="alert""#), "a new alert is announced");
    assert!(alert.contains("Gate North") && alert.contains("since"));
    pushed(&mut kiosk_stream, "kiosk-alerts", "Counterfeit batch").await;

    // Many alerts at once: the push still stays small (the list shows the newest five).
    let mut low = Vec::new();
    for _ in 0..9 {
        low.push(app.device_a("North").await.0);
    }
    for token in &low {
        heartbeat(&app, token, 5).await;
    }
    let crowded = pushed(&mut monitor_stream, "gate-alerts", "older open alerts").await;
    assert!(crowded.len() <= MAX_PUSH, "{} bytes", crowded.len());
    let lines = pushed(&mut kiosk_stream, "kiosk-alerts", "Low battery").await;
    assert!(lines.len() <= MAX_PUSH);
}

/// The acknowledge form's token and the first alert's button target.
fn acknowledge_target(page: &str) -> (String, String) {
    let at = page.find("formaction=\"").expect("an acknowledge button") + "formaction=\"".len();
    (
        csrf_token(page).unwrap(),
        page[at..].split('"').next().unwrap().to_owned(),
    )
}

async fn acknowledging_is_audited_idempotent_and_scoped(app: TestApp) {
    let supervisor = app.signed_in("super@a.test").await;
    let (north, _) = app.device_a("North").await;
    unknown_codes(&app, &north, "FAKE01", 4).await;
    let page = wait_for_kinds(&app, &supervisor, &["counterfeit_batch"]).await;
    let (token, target) = acknowledge_target(&page);
    let ack = |client: reqwest::Client, token: String, target: String| {
        let app_url = app.url(&target);
        async move {
            client
                .post(app_url)
                .form(&[("csrf_token", token)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    // Another organisation's owner: as if it did not exist.
    let other = app.signed_in("owner@b.test").await;
    let other_token = csrf_token(&app.page(&other, "/events").await).unwrap();
    assert_eq!(ack(other.clone(), other_token, target.clone()).await, 404);
    // Without the form's token: refused, nothing acknowledged.
    assert_eq!(ack(supervisor.clone(), "wrong".into(), target.clone()).await, 403);
    // Bad and unknown alert ids.
    let base = target.rsplit_once("/alerts/").unwrap().0.to_owned();
    assert_eq!(
        ack(
            supervisor.clone(),
            token.clone(),
            format!("{base}/alerts/abc/acknowledge")
        )
        .await,
        404
    );
    assert_eq!(
        ack(
            supervisor.clone(),
            token.clone(),
            format!("{base}/alerts/999999/acknowledge")
        )
        .await,
        404
    );
    let other_event = format!(
        "/events/{}/alerts/{}",
        app.fixture.event_b,
        target.rsplit('/').nth(1).unwrap()
    );
    assert_eq!(
        ack(supervisor.clone(), token.clone(), format!("{other_event}/acknowledge")).await,
        404
    );
    assert_eq!(acknowledgements(&app).await, 0);

    assert_eq!(
        ack(supervisor.clone(), token.clone(), target.clone()).await,
        303,
        "back to the monitor"
    );
    assert_eq!(
        ack(supervisor.clone(), token.clone(), target.clone()).await,
        303,
        "again: the same answer"
    );

    assert_eq!(
        acknowledgements(&app).await,
        1,
        "one audit entry, with who and which alert"
    );
    let page = app.page(&supervisor, &monitor(&app)).await;
    assert!(page.contains("acknowledged") && !page.contains(">Acknowledge</button>"));
    // Still holding (more forged codes), still the same acknowledged episode.
    unknown_codes(&app, &north, "FAKE01", 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(open_rows(&app).await, 1);
    let page = app.page(&supervisor, &monitor(&app)).await;
    assert!(
        !page.contains(">Acknowledge</button>"),
        "no re-alarm for the same episode"
    );
}

async fn acknowledgements(app: &TestApp) -> i64 {
    let alert_id: Option<i64> = app
        .db(|conn| {
            gate_alerts::table
                .select(gate_alerts::id)
                .first(conn)
                .optional()
                .unwrap()
        })
        .await;
    let entries: Vec<(Option<i64>, String, i64)> = app
        .db(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("alert-acknowledged"))
                .select((audit_log::user_id, audit_log::subject_type, audit_log::subject_id))
                .load(conn)
                .unwrap()
        })
        .await;
    for (user_id, subject_type, subject_id) in &entries {
        assert!(user_id.is_some());
        assert_eq!((subject_type.as_str(), Some(*subject_id)), ("gate_alert", alert_id));
    }
    entries.len() as i64
}

#[tokio::test]
async fn two_instances_open_an_alert_once_and_both_monitors_hear_it() {
    let (first, second) = crate::helpers::scaled_out("alerts_two", &crate::helpers::test_redis()).await;
    let owner = second.signed_in("owner@a.test").await;
    let mut stream = SseReader::open(&second, &owner, &format!("/sse{}", monitor(&second))).await;
    let (north, _) = first.device_a("North").await;

    unknown_codes(&first, &north, "FAKE01", 4).await;
    // Both detectors evaluate the same event in the same rounds.
    for _ in 0..10 {
        let (a, b) = (
            first.services.pool.get_ref().clone(),
            second.services.pool.get_ref().clone(),
        );
        let (bus_a, bus_b) = (first.services.bus.clone(), second.services.bus.clone());
        let (ra, rb) = tokio::join!(
            voelgoed::gate_alerts::evaluate_all(&a, bus_a.as_ref()),
            voelgoed::gate_alerts::evaluate_all(&b, bus_b.as_ref())
        );
        ra.unwrap();
        rb.unwrap();
    }

    pushed(&mut stream, "gate-alerts", "Counterfeit batch").await;
    let rows: i64 = first
        .db(|conn| gate_alerts::table.count().get_result(conn).unwrap())
        .await;
    assert_eq!(rows, 1, "opened once across both instances");
}
