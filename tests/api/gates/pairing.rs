//! Pairing a phone as a gate device, over HTTP: the monitor's link (single use, ten
//! minutes), the device it makes, revoking it, the command line's link, and the
//! refusals: spent and unknown links, another event's gate, bad forms.

use serde_json::Value;

use crate::helpers::scaled::uuid;
use crate::helpers::{batch, csrf_token, scan, spawn_app, text_of, TestApp};

/// A pairing link for the gate made through the monitor's form by `who`; its path.
async fn pairing_link(app: &TestApp, who: &str, gate_id: i64) -> String {
    let client = app.signed_in(who).await;
    let monitor = format!("/events/{}/scans", app.fixture.event_a);
    let csrf = csrf_token(&app.page(&client, &monitor).await).expect("csrf");
    let response = client
        .post(app.url(&format!("/events/{}/pairings", app.fixture.event_a)))
        .form(&[("csrf_token", csrf.as_str()), ("gate", &gate_id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("data-qr"), "the link as a QR code");
    let url = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("[data-pairing-link]").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_owned))
        .expect("the link written out");
    url.strip_prefix(&app.address)
        .expect("a link to this server")
        .to_owned()
}

async fn gate_of(app: &TestApp, name: &str) -> i64 {
    let (tenant, event, name) = (app.fixture.org_a, app.fixture.event_a, name.to_owned());
    app.db(move |conn| voelgoed::provisioning::find_or_create_gate(conn, &tenant, event, &name).unwrap())
        .await
}

/// Pairs a phone through the link; the key its scanner page keeps.
async fn pair(app: &TestApp, link: &str) -> Value {
    let page = app
        .client()
        .post(app.url(link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    device_key(&page)
}

/// The device key a paired scanner page keeps (from its pairing meta tag).
fn device_key(page: &str) -> Value {
    let meta = scraper::Html::parse_document(page)
        .select(&scraper::Selector::parse(r#"meta[name="voelgoed-pairing"]"#).unwrap())
        .next()
        .and_then(|m| m.value().attr("content").map(str::to_owned))
        .expect("the pairing answer carries the device's key");
    serde_json::from_str(&meta).unwrap()
}

#[tokio::test]
async fn a_supervisors_link_pairs_one_phone_once_and_its_key_scans() {
    let app = spawn_app().await;
    let gate = gate_of(&app, "North").await;
    let link = pairing_link(&app, "super@a.test", gate).await;
    let phone = app.client();

    // Opening the link asks first: previews and prefetches spend nothing.
    let prompt = phone.get(app.url(&link)).send().await.unwrap();
    assert_eq!(prompt.status(), 200);
    assert!(prompt.text().await.unwrap().contains("North"));
    assert_eq!(app.count("devices").await, 0);

    let paired = phone.post(app.url(&link)).send().await.unwrap();
    assert_eq!(paired.status(), 200);
    let key = device_key(&paired.text().await.unwrap());
    assert_eq!(key["gate"], "North");
    assert_eq!(key["device"], "North phone 1");
    assert_eq!(app.count("devices").await, 1);

    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    let token = key["token"].as_str().unwrap();
    let (status, answer) = app
        .post_scans(token, &batch(vec![scan(&uuid(1, 1), &code, "in")]))
        .await;
    assert_eq!((status, answer["results"][0]["result"].clone()), (200, "valid".into()));
    let device = reqwest::Client::new()
        .get(app.url("/api/v1/device"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let device: Value = device.json().await.unwrap();
    assert_eq!(device["gate_id"], gate);

    // Used: a second phone (or the same one again) gets a plain page saying so.
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let again = app.client().request(method, app.url(&link)).send().await.unwrap();
        assert_eq!(again.status(), 410);
        let page = again.text().await.unwrap();
        assert!(text_of(&page, "main").unwrap().contains("used already"), "{page}");
    }
    assert_eq!(app.count("devices").await, 1, "one link, one device");
}

#[tokio::test]
async fn an_expired_or_unknown_link_is_a_clear_page_and_makes_nothing() {
    let app = spawn_app().await;
    let gate = gate_of(&app, "North").await;
    let link = pairing_link(&app, "owner@a.test", gate).await;
    app.db(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE device_pairings SET expires_at = 1")
            .execute(conn)
            .unwrap();
    })
    .await;
    let expired = app.client().post(app.url(&link)).send().await.unwrap();
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("expired"));
    for junk in ["/pair/nope", "/pair/%00%ff", &format!("/pair/{}", "a".repeat(5000))] {
        let status = app.client().post(app.url(junk)).send().await.unwrap().status();
        assert!(status == 404 || status == 414 || status == 400, "{junk}: {status}");
    }
    assert_eq!(app.count("devices").await, 0);
}

#[tokio::test]
async fn a_link_is_only_for_a_gate_of_the_event_and_only_for_those_who_manage_devices() {
    let app = spawn_app().await;
    gate_of(&app, "North").await;
    let other_org_gate = {
        let (tenant, event) = (app.fixture.org_b, app.fixture.event_b);
        app.db(move |conn| voelgoed::provisioning::find_or_create_gate(conn, &tenant, event, "B gate").unwrap())
            .await
    };
    let client = app.signed_in("owner@a.test").await;
    let monitor = format!("/events/{}/scans", app.fixture.event_a);
    let csrf = csrf_token(&app.page(&client, &monitor).await).unwrap();
    let pairings = app.url(&format!("/events/{}/pairings", app.fixture.event_a));
    for gate in [
        other_org_gate.to_string(),
        String::new(),
        "x".into(),
        "-1".into(),
        "99999999999999999999".into(),
    ] {
        let response = client
            .post(&pairings)
            .form(&[("csrf_token", csrf.as_str()), ("gate", &gate)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "gate {gate:?}");
    }
    assert_eq!(app.count("device_pairings").await, 0);

    // Stewards and finance may not; the monitor offers them no form.
    for who in ["steward@a.test", "finance@a.test"] {
        let client = app.signed_in(who).await;
        let page = app.page(&client, &monitor).await;
        assert!(!page.contains("Get a pairing link"), "{who}");
    }
    let page = app.page(&app.signed_in("super@a.test").await, &monitor).await;
    assert!(page.contains("Get a pairing link"));
}

#[tokio::test]
async fn revoking_a_paired_phone_refuses_its_key_at_once_and_is_audited() {
    let app = spawn_app().await;
    let gate = gate_of(&app, "North").await;
    let link = pairing_link(&app, "super@a.test", gate).await;
    let key = pair(&app, &link).await;
    let token = key["token"].as_str().unwrap().to_owned();
    let device = key["device_id"].as_i64().unwrap();
    let ask = || {
        reqwest::Client::new()
            .get(app.url("/api/v1/device"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(ask().await.unwrap().status(), 200);

    let client = app.signed_in("super@a.test").await;
    let monitor = format!("/events/{}/scans", app.fixture.event_a);
    let page = app.page(&client, &monitor).await;
    assert!(page.contains("Revoke North phone 1"), "the monitor offers to revoke it");
    let csrf = csrf_token(&page).unwrap();
    let revoke = |event: i64| {
        client
            .post(app.url(&format!("/events/{event}/devices/{device}/revoke")))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
    };
    assert_eq!(
        revoke(app.fixture.event_b).await.unwrap().status(),
        404,
        "not through another org's event"
    );
    assert_eq!(revoke(app.fixture.event_a).await.unwrap().status(), 303);
    assert_eq!(ask().await.unwrap().status(), 401, "refused at once on this instance");
    assert_eq!(
        revoke(app.fixture.event_a).await.unwrap().status(),
        404,
        "revoked already"
    );
    let audit = app.page(&app.signed_in("owner@a.test").await, "/audit").await;
    assert!(audit.contains("Device revoked") && audit.contains("Pairing link created"));
}

#[tokio::test]
async fn the_command_line_prints_a_pairing_link_that_pairs_a_phone() {
    let app = spawn_app().await;
    let pool = app.services.pool.get_ref().clone();
    let event = app.fixture.event_a;
    let path = tokio::task::spawn_blocking(move || voelgoed::scanner::pairing_link_command(&pool, event, "West"))
        .await
        .unwrap()
        .unwrap();
    assert!(path.starts_with("/pair/"), "{path}");
    let key = pair(&app, &path).await;
    assert_eq!(key["gate"], "West");
}

#[tokio::test]
async fn a_scanner_app_pairs_through_the_json_api_once() {
    let app = spawn_app().await;
    let gate = gate_of(&app, "North").await;
    let link = pairing_link(&app, "owner@a.test", gate).await;
    let token = link.strip_prefix("/pair/").unwrap();
    let pair = |body: Value| reqwest::Client::new().post(app.url("/api/v1/pair")).json(&body).send();
    let paired = pair(serde_json::json!({ "pairing": token })).await.unwrap();
    assert_eq!(paired.status(), 201);
    let answer: Value = paired.json().await.unwrap();
    assert_eq!(
        (answer["gate"].as_str(), answer["device"].as_str()),
        (Some("North"), Some("North phone 1"))
    );
    let device = reqwest::Client::new()
        .get(app.url("/api/v1/device"))
        .bearer_auth(answer["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(device.status(), 200);

    let again = pair(serde_json::json!({ "pairing": token })).await.unwrap();
    assert_eq!(again.status(), 410);
    assert!(again.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("used already"));
    for (body, status) in [
        (serde_json::json!({ "pairing": "nope" }), 404),
        (serde_json::json!({ "pairing": "" }), 400),
        (serde_json::json!({ "pairing": "x".repeat(129) }), 400),
        (serde_json::json!({ "paring": token }), 400),
        (serde_json::json!([]), 400),
    ] {
        let response = pair(body.clone()).await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        assert!(
            response.json::<Value>().await.unwrap()["error"].is_string(),
            "{body}: a JSON error"
        );
    }
    assert_eq!(app.count("devices").await, 1);
}

#[tokio::test]
async fn the_device_api_describes_itself_as_openapi_3_1() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for path in [
        "/api/v1/scans",
        "/api/v1/devices/heartbeat",
        "/api/v1/device",
        "/api/v1/tickets",
        "/api/v1/pair",
    ] {
        assert!(paths.iter().any(|p| *p == path), "{path} in {paths:?}");
    }
    assert_eq!(doc["components"]["securitySchemes"]["device_token"]["scheme"], "bearer");
    let scan = &doc["components"]["schemas"]["ScanIn"];
    assert!(
        scan["required"].as_array().unwrap().contains(&"ticket_code".into()),
        "{scan}"
    );
}

/// Ten phones open one link at the same moment: one device, nine "used already".
async fn phones_racing_on_one_link_make_one_device(app: TestApp) {
    let gate = gate_of(&app, "North").await;
    let link = pairing_link(&app, "super@a.test", gate).await;
    let tries: Vec<_> = (0..10)
        .map(|_| {
            let (client, url) = (app.client(), app.url(&link));
            tokio::spawn(async move { client.post(url).send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in tries {
        statuses.push(attempt.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410, 410, 410, 410, 410, 410, 410, 410, 410]);
    assert_eq!(app.count("devices").await, 1);
}

crate::helpers::on_both_backends!("pairing_"; phones_racing_on_one_link_make_one_device);
