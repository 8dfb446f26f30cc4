//! Kiosk links: created and revoked by owners, opened without a login, live, and dead
//! the moment they are revoked.

use std::time::Duration;

use crate::helpers::kiosk::{create_link, links};
use crate::helpers::sse::SseReader;
use crate::helpers::{batch, csrf_token, scan, spawn_app, text_of};

#[tokio::test]
async fn an_owner_creates_a_kiosk_link_that_opens_without_a_login() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let owner = app.signed_in("owner@a.test").await;
    let link = create_link(&app, &owner, "").await;
    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    app.post_scans(&north, &batch(vec![scan("1", &code, "in")])).await;

    let kiosk = app.client().get(app.url(&link)).send().await.unwrap();

    assert_eq!(kiosk.status(), 200);
    let page = kiosk.text().await.unwrap();
    assert_eq!(text_of(&page, r#"[data-metric="occupancy"]"#).as_deref(), Some("1"));
    assert!(page.contains("inside of 1,000"));
    assert!(page.contains("kiosk-screen"), "the dark kiosk layout");
    assert!(!page.contains("Sign out"), "no organiser navigation on a kiosk");
    let listing = app.page(&owner, &links(&app)).await;
    assert!(!listing.contains(&link), "the token is shown only once");
    assert!(listing.contains("Whole event"));
}

#[tokio::test]
async fn a_gate_kiosk_streams_its_gate_and_the_occupancy_live() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let gate_id: i64 = {
        let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
        app.db(move |conn| voelgoed::provisioning::find_or_create_gate(conn, &tenant, event, "North").unwrap())
            .await
    };
    let owner = app.signed_in("owner@a.test").await;
    let link = create_link(&app, &owner, &gate_id.to_string()).await;
    let kiosk = app.client();
    let mut reader = SseReader::open(&app, &kiosk, &format!("{link}/stream")).await;
    let first = reader.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(first.event, "kiosk");
    assert!(first.data.contains("Gate North"));

    let code = app.sell_tickets_a(1).await.ticket_codes[0].clone();
    app.post_scans(&north, &batch(vec![scan("1", &code, "in")])).await;
    let pushed = reader.next(Duration::from_secs(5)).await.unwrap();

    assert_eq!(
        text_of(&pushed.data, r#"[data-metric="occupancy"]"#).as_deref(),
        Some("1")
    );
    assert_eq!(
        text_of(&pushed.data, r#"[data-metric="per-minute"]"#).as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn a_revoked_link_stops_at_once_open_stream_included() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let link = create_link(&app, &owner, "").await;
    let mut reader = SseReader::open(&app, &app.client(), &format!("{link}/stream")).await;
    reader.next(Duration::from_secs(5)).await.unwrap();
    let page = app.page(&owner, &links(&app)).await;
    let token = csrf_token(&page).unwrap();
    let link_id = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("[data-link]").unwrap())
        .next()
        .and_then(|li| li.value().attr("data-link").map(str::to_owned));

    let revoke = format!("{}/{}/revoke", links(&app), link_id.unwrap());
    let response = owner
        .post(app.url(&revoke))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 303);
    let last = reader.next(Duration::from_secs(5)).await.expect("a closing notice");
    assert!(last.data.contains("revoked"));
    assert!(reader.next(Duration::from_secs(2)).await.is_none(), "the stream ended");
    assert_eq!(app.client().get(app.url(&link)).send().await.unwrap().status(), 404);
    assert_eq!(
        app.client()
            .get(app.url(&format!("{link}/stream")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let again = owner
        .post(app.url(&revoke))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "an already revoked link cannot be revoked again");
}

#[tokio::test]
async fn only_owners_and_supervisors_manage_links_and_only_for_their_own_events() {
    let app = spawn_app().await;
    // Stewards watch the gates and finance the money: neither makes kiosk links.
    let steward = app.signed_in("steward@a.test").await;
    let finance = app.signed_in("finance@a.test").await;
    let supervisor = app.signed_in("super@a.test").await;
    let other_owner = app.signed_in("owner@b.test").await;
    let owner = app.signed_in("owner@a.test").await;
    let page = app.page(&owner, &links(&app)).await;
    let token = csrf_token(&page).unwrap();

    for refused in [&steward, &finance] {
        assert_eq!(refused.get(app.url(&links(&app))).send().await.unwrap().status(), 403);
    }
    assert_eq!(
        supervisor.get(app.url(&links(&app))).send().await.unwrap().status(),
        200
    );
    let monitor = format!("/events/{}/scans", app.fixture.event_a);
    assert!(!app.page(&steward, &monitor).await.contains("Kiosk links"));
    assert!(app.page(&supervisor, &monitor).await.contains("Kiosk links"));
    let b_token = csrf_token(&app.page(&other_owner, "/events").await).unwrap();
    let foreign = other_owner
        .post(app.url(&links(&app)))
        .form(&[("csrf_token", b_token.as_str()), ("gate", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
    let no_csrf = owner
        .post(app.url(&links(&app)))
        .form(&[("gate", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    for gate in ["abc", "999999"] {
        let bad = owner
            .post(app.url(&links(&app)))
            .form(&[("csrf_token", token.as_str()), ("gate", gate)])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400, "gate {gate}");
    }
    assert_eq!(app.count("kiosk_links").await, 0, "nothing was created");
    assert_eq!(
        app.client()
            .get(app.url("/kiosk/not-a-real-token"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// The access log never holds a kiosk link's secret, nor the query strings (buyers'
/// names and addresses when the order list is searched).
#[tokio::test]
async fn kiosk_tokens_and_search_text_never_reach_the_access_log() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let path = create_link(&app, &owner, "").await;
    let token = path.trim_start_matches("/kiosk/").to_owned();
    let voelgoed::db::DatabaseUrl::Sqlite(database) = app.services.settings.database.clone() else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let port = crate::helpers::free_port();
    let server = crate::helpers::ServerProcess::start_logging(&database, port, log).await;
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(reqwest::get(format!("{base}{path}")).await.unwrap().status(), 200);
    let stream = reqwest::get(format!("{base}{path}/stream")).await.unwrap();
    assert_eq!(stream.status(), 200);
    drop(stream);
    assert_eq!(
        reqwest::get(format!("{base}/orders?q=Anna+Secret"))
            .await
            .unwrap()
            .status(),
        401
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.stop();

    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains("GET /kiosk/…"),
        "the kiosk requests are logged: {logged}"
    );
    assert!(logged.contains("GET /orders?…"), "{logged}");
    assert!(!logged.contains(&token), "the kiosk token reached the log: {logged}");
    assert!(!logged.contains("Secret"), "search text reached the log: {logged}");
}

#[tokio::test]
async fn one_kiosk_link_holds_at_most_sixteen_streams_and_hundreds_more_cost_only_a_refusal() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let link = create_link(&app, &owner, "").await;
    let other_link = create_link(&app, &owner, "").await;
    let screen = app.client();
    let stream = |link: &str| app.url(&format!("{link}/stream"));

    let mut open = Vec::new();
    for n in 0..voelgoed::auth::MAX_PER_SESSION {
        let response = screen.get(stream(&link)).send().await.unwrap();
        assert_eq!(response.status(), 200, "stream {n}");
        open.push(response);
    }
    let channels = app.services.hub.live_channels();
    for _ in 0..200 {
        let refused = screen.get(stream(&link)).send().await.unwrap();
        assert_eq!(refused.status(), 429);
        assert!(refused.text().await.unwrap().contains("live views"));
    }
    assert_eq!(
        app.services.hub.live_channels(),
        channels,
        "a refusal starts no live view"
    );
    let other = screen.get(stream(&other_link)).send().await.unwrap();
    assert_eq!(other.status(), 200, "another link is not affected");
}
