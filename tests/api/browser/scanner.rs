//! The steward's scanner in Chromium: a phone pairs through the link a supervisor got
//! on the monitor, scans by keyboard (a wedge scanner types and presses Enter) and by
//! camera (a fake one showing a real ticket's QR code), keeps deciding offline and
//! uploads once back, and stops when revoked.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use crate::helpers::browser::Browser;
use crate::helpers::{csrf_token, spawn_app, TestApp};

/// A pairing link for gate `gate` of org A's event, as the monitor gives it (a whole URL).
async fn pairing_url(app: &TestApp, gate: &str) -> String {
    let (tenant, event, name) = (app.fixture.org_a, app.fixture.event_a, gate.to_owned());
    let gate_id = app
        .db(move |conn| voelgoed::provisioning::find_or_create_gate(conn, &tenant, event, &name).unwrap())
        .await;
    let client = app.signed_in("super@a.test").await;
    let csrf = csrf_token(&app.page(&client, &format!("/events/{event}/scans")).await).unwrap();
    let page = client
        .post(app.url(&format!("/events/{event}/pairings")))
        .form(&[("csrf_token", csrf.as_str()), ("gate", &gate_id.to_string())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("[data-pairing-link]").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_owned))
        .unwrap()
}

/// Opens the link on the phone and pairs it; the scanner is ready when it returns.
async fn pair(phone: &Browser, url: &str) {
    phone.goto(url).await;
    phone.click(Locator::Css("form button[type=submit]")).await;
    phone
        .wait_for(|b| async move { b.text("#link-state").await.starts_with("Online") })
        .await;
}

/// Types a code into the focused field and presses Enter, as a wedge scanner does.
async fn wedge(phone: &Browser, code: &str) {
    phone.fill("#code", &format!("{code}\n")).await;
}

async fn verdict(phone: &Browser) -> (String, String) {
    let read = "const v = document.querySelector('#verdict');
        return [v.dataset.verdict, v.querySelector('.word').innerText];";
    let shown = phone.client.execute(read, vec![]).await.unwrap();
    (shown[0].as_str().unwrap().into(), shown[1].as_str().unwrap().into())
}

/// Waits for an answer other than "ready".
async fn answer(phone: &Browser) -> (String, String) {
    phone.wait_for(|b| async move { verdict(b).await.0 != "ready" }).await;
    verdict(phone).await
}

async fn ready(phone: &Browser) {
    phone.click(Locator::Css("#verdict")).await;
}

#[tokio::test]
async fn a_phone_paired_from_the_monitor_scans_by_keyboard_and_the_monitor_shows_it() {
    let app = spawn_app().await;
    let url = pairing_url(&app, "North").await;
    let codes = app.sell_tickets_a(2).await.ticket_codes;
    let phone = Browser::start().await;
    pair(&phone, &url).await;
    phone.emulate_viewport(360, 740).await;
    assert_eq!(
        phone.client.current_url().await.unwrap().path(),
        "/scanner",
        "the link leaves the address bar"
    );
    assert!(phone.text("#where").await.contains("North"));
    let kept = phone.client.execute("return localStorage.getItem('voelgoed.scanner') !== null && document.querySelector('meta[name=voelgoed-pairing]') === null;", vec![]).await.unwrap();
    assert_eq!(kept, json!(true), "the key is kept by the phone, not the page");

    wedge(&phone, &codes[0]).await;
    assert_eq!(answer(&phone).await, ("valid".into(), "Valid".into()));
    ready(&phone).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    wedge(&phone, &codes[0].to_lowercase()).await;
    assert_eq!(answer(&phone).await, ("duplicate".into(), "Already inside".into()));
    assert!(phone.text("#verdict .detail").await.contains("North"));
    ready(&phone).await;

    // Junk from a scanner is refused on the phone: nothing reaches the server.
    let scans = app.count("scans").await;
    wedge(&phone, "https://example.test/not-a-ticket").await;
    assert_eq!(answer(&phone).await, ("junk".into(), "Not a ticket code".into()));
    assert_eq!(app.count("scans").await, scans);

    // Exit, switched on the page.
    ready(&phone).await;
    phone.click(Locator::Css("input[name=direction][value=out]")).await;
    wedge(&phone, &codes[1]).await;
    assert_eq!(answer(&phone).await.1, "Invalid", "not inside: cannot leave");
    assert!(phone.text("#verdict .detail").await.contains("not inside"));

    assert_eq!(phone.horizontal_overflow().await, 0);
    assert_eq!(phone.accessibility_violations().await, Vec::<String>::new());
    phone.close().await;

    let monitor = app.signed_in("super@a.test").await;
    let page = app
        .page(&monitor, &format!("/events/{}/scans", app.fixture.event_a))
        .await;
    assert!(
        page.contains("North phone 1"),
        "the monitor's device table lists the phone"
    );
}

#[tokio::test]
async fn a_revoked_phone_stops_within_two_seconds_and_says_so() {
    let app = spawn_app().await;
    let url = pairing_url(&app, "North").await;
    let phone = Browser::start().await;
    pair(&phone, &url).await;
    let device = app.newest_id("devices").await;

    let client = app.signed_in("super@a.test").await;
    let monitor = format!("/events/{}/scans", app.fixture.event_a);
    let csrf = csrf_token(&app.page(&client, &monitor).await).unwrap();
    let revoked = client
        .post(app.url(&format!("/events/{}/devices/{device}/revoke", app.fixture.event_a)))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 303);
    let started = Instant::now();
    phone
        .wait_for(|b| async move { b.text("#unpaired").await.contains("revoked") })
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stopped after {:?}",
        started.elapsed()
    );
    let hidden = phone
        .client
        .execute("return document.querySelector('#code').checkVisibility();", vec![])
        .await
        .unwrap();
    assert_eq!(hidden, json!(false), "no more scanning");
    phone.close().await;
}

#[tokio::test]
async fn the_scanner_page_alone_says_it_is_not_paired_and_passes_axe() {
    let app = spawn_app().await;
    let phone = Browser::start().await;
    phone.goto(&app.url("/scanner")).await;
    phone.emulate_viewport(360, 740).await;
    phone
        .wait_for(|b| async move { b.text("#unpaired").await.contains("not a scanner") })
        .await;
    // A pasted link that is none says so, and goes nowhere.
    phone.fill("#pair-link", "https://example.test/nope\n").await;
    phone
        .wait_for(|b| async move { b.text("#pair-problem").await.contains("not a pairing link") })
        .await;
    assert_eq!(phone.client.current_url().await.unwrap().path(), "/scanner");
    assert_eq!(phone.horizontal_overflow().await, 0);
    assert_eq!(phone.accessibility_violations().await, Vec::<String>::new());
    phone.close().await;
}

/// A Y4M video (Chromium's fake camera plays it in a loop) of a ticket's QR code, black
/// on white, as a phone would see a printed ticket held up to it.
fn qr_video(code: &str) -> std::path::PathBuf {
    let (width, height, scale) = (640usize, 480usize, 8usize);
    let qr = qrcode::QrCode::new(code.as_bytes()).unwrap();
    let modules = qr.width();
    let colors = qr.to_colors();
    let side = (modules + 8) * scale;
    let (left, top) = ((width - side) / 2, (height - side) / 2);
    let mut luma = vec![255u8; width * height];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = ((i % modules + 4) * scale + left, (i / modules + 4) * scale + top);
        for row in y..y + scale {
            luma[row * width + x..row * width + x + scale].fill(0);
        }
    }
    let chroma = vec![128u8; width * height / 4];
    let mut video = format!("YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..10 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend_from_slice(&chroma);
        video.extend_from_slice(&chroma);
    }
    let path = tempfile::tempdir().unwrap().keep().join("ticket.y4m");
    std::fs::write(&path, video).unwrap();
    path
}

#[tokio::test]
async fn the_camera_reads_a_real_tickets_qr_code_and_the_monitor_logs_it() {
    let app = spawn_app().await;
    let url = pairing_url(&app, "North").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let phone = Browser::start_with_camera(&qr_video(&code)).await;
    pair(&phone, &url).await;
    phone.click(Locator::Id("camera-toggle")).await;
    assert_eq!(answer(&phone).await, ("valid".into(), "Valid".into()));
    // The code stays in view: one read per code per 2 s, then "already inside".
    phone
        .wait_for(|b| async move { verdict(b).await.0 == "duplicate" })
        .await;
    // A frame every 150 ms held the code in view all along: one read per 2 s, not one
    // per frame (a third read may land if this test is slow to look).
    let reads = app.count("scans").await;
    assert!((2..=3).contains(&reads), "{reads} reads of one code held in view");
    phone.click(Locator::Id("camera-toggle")).await;
    phone.close().await;
    // The monitor lists the phone and logs its scans under its name.
    let monitor = app.signed_in("super@a.test").await;
    let page = app
        .page(&monitor, &format!("/events/{}/scans", app.fixture.event_a))
        .await;
    let log = crate::helpers::text_of(&page, "#scan-log").unwrap();
    assert!(log.contains("North phone 1") && log.contains("valid"), "{log}");
    assert!(crate::helpers::text_of(&page, "#device-table")
        .unwrap()
        .contains("North phone 1"));
}

/// How many tickets the phone keeps for deciding offline.
async fn tickets_kept(phone: &Browser) -> u64 {
    // Opened only once the page made it: opening it first would make it without stores.
    let read = "const done = arguments[arguments.length - 1];
        indexedDB.databases().then(dbs => {
            if (!dbs.some(db => db.name === 'voelgoed-scanner')) return done(0);
            const open = indexedDB.open('voelgoed-scanner');
            open.onsuccess = () => {
                try {
                    const all = open.result.transaction('tickets').objectStore('tickets').getAll();
                    all.onsuccess = () => { open.result.close(); done(all.result.reduce((n, l) => n + Object.keys(l.states).length, 0)); };
                } catch (e) { done(0); }
            };
            open.onerror = () => done(0);
        });";
    phone
        .client
        .execute_async(read, vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn offline_the_phone_decides_from_its_copy_and_uploads_every_scan_once_when_back() {
    let app = spawn_app().await;
    let url = pairing_url(&app, "North").await;
    let codes = app.sell_tickets_a(20).await.ticket_codes;
    let phone = Browser::start().await;
    pair(&phone, &url).await;
    phone.wait_for(|b| async move { tickets_kept(b).await == 20 }).await;
    // The service worker keeps the shell (this page, opened at the link, is not its client).
    let cached = "const done = arguments[arguments.length - 1]; caches.match('/scanner').then(r => done(!!r));";
    phone
        .wait_for(|b| async move { b.client.execute_async(cached, vec![]).await.unwrap() == json!(true) })
        .await;

    phone.set_offline(true).await;
    phone
        .wait_for(|b| async move { b.text("#link-state").await.starts_with("Offline") })
        .await;
    for code in &codes {
        wedge(&phone, code).await;
        assert_eq!(answer(&phone).await, ("valid".into(), "Valid".into()), "{code}");
        assert_eq!(phone.text("#verdict .offline-mark").await, "Decided offline");
        ready(&phone).await;
    }
    assert_eq!(phone.text("#link-state").await, "Offline · 20 waiting");
    assert_eq!(app.count("scans").await, 0, "nothing reached the server");

    // Meanwhile another gate let the first ticket in: the server's decision stands.
    let (south, _) = app.device_a("South").await;
    let first = crate::helpers::batch(vec![crate::helpers::scan("south-1", &codes[0], "in")]);
    assert_eq!(app.post_scans(&south, &first).await.0, 200);

    phone.set_offline(false).await;
    phone
        .wait_for(|b| async move { b.text("#link-state").await == "Online · 1 decided otherwise by the server" })
        .await;
    assert_eq!(app.count("scans").await, 21, "every scan once");
    assert_eq!(
        app.count("offline_conflicts").await,
        1,
        "the first ticket: valid offline, duplicate on upload"
    );

    // Reopened without a network, the page comes from the service worker's copy.
    phone.goto(&app.url("/scanner")).await;
    phone.set_offline(true).await;
    phone.goto(&app.url("/scanner")).await;
    phone
        .wait_for(|b| async move { b.text("#link-state").await.starts_with("Offline") })
        .await;
    assert!(
        phone.text("#where").await.contains("North"),
        "still paired, from the phone's own store"
    );
    phone.set_offline(false).await;

    let monitor = app.signed_in("super@a.test").await;
    let path = format!("/events/{}/scans", app.fixture.event_a);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.page(&monitor, &path).await.contains("Offline conflict") {
        assert!(Instant::now() < deadline, "the monitor shows the offline conflict");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    phone.close().await;
}

/// What the scanner page costs a phone on a first visit: the time to its load event on
/// Chrome's "Slow 3G" (printed, for BENCHMARKS.md: `cargo test --test api
/// browser::scanner::the_scanner_page_is_one -- --nocapture`), and what holds it under a
/// second whatever the machine: one request, a few kilobytes, nothing else before load.
#[tokio::test]
async fn the_scanner_page_is_one_small_request_on_slow_3g() {
    let app = spawn_app().await;
    let phone = Browser::start().await;
    phone.goto(&app.url("/login")).await;
    // Chrome's "Slow 3G": 400 ms round trips, 400 kbit/s each way.
    let slow = json!({ "offline": false, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000 });
    phone.cdp("Network.enable", json!({})).await;
    phone.cdp("Network.emulateNetworkConditions", slow).await;
    phone.goto(&app.url("/scanner")).await;
    let read = "const t = performance.getEntriesByType('navigation')[0];
        const before = performance.getEntriesByType('resource').filter(r => r.startTime < t.loadEventStart);
        return [t.loadEventEnd - t.startTime, t.transferSize, before.map(r => r.name)];";
    let seen = phone.client.execute(read, vec![]).await.unwrap();
    let (took, bytes) = (seen[0].as_f64().unwrap(), seen[1].as_u64().unwrap());
    eprintln!("scanner page on slow 3G: load event after {took:.0} ms, {bytes} bytes");
    assert!(bytes < 14_000, "{bytes} bytes: more than one round trip's worth");
    let needed: Vec<String> = serde_json::from_value(seen[2].clone()).unwrap();
    assert!(
        needed.iter().all(|name| name.contains("icon.svg")),
        "requests before load: {needed:?}"
    );
    phone.close().await;
}

#[tokio::test]
async fn a_revoked_phone_pairs_again_by_scanning_a_new_links_qr_code() {
    let app = spawn_app().await;
    let first = pairing_url(&app, "North").await;
    let second = pairing_url(&app, "South").await;
    let phone = Browser::start_with_camera(&qr_video(&second)).await;
    pair(&phone, &first).await;
    app.revoke_device(app.newest_id("devices").await).await;
    phone
        .wait_for(|b| async move { b.text("#unpaired").await.contains("revoked") })
        .await;

    phone.click(Locator::Id("camera-toggle")).await;
    phone
        .wait_for(|b| async move { b.client.current_url().await.unwrap().path().starts_with("/pair/") })
        .await;
    phone.click(Locator::Css("form button[type=submit]")).await;
    phone
        .wait_for(|b| async move { b.text("#link-state").await.starts_with("Online") })
        .await;
    assert!(
        phone.text("#where").await.contains("South"),
        "paired again, at the new link's gate"
    );
    phone.close().await;
}
