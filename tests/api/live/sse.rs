//! The live spine over real HTTP: current state on connect, pushed updates, coalescing,
//! one render shared by every subscriber.

use std::time::{Duration, Instant};

use voelgoed::live::{Channel, Update, UpdateKind};
use voelgoed::orders::{place_order, NewOrder};

use crate::helpers::spawn_app;
use crate::helpers::sse::{Message, SseReader};

fn sold_in(message: &Message) -> i64 {
    crate::helpers::text_of(&message.data, r#"[data-metric="sold"]"#)
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn occupancy_stream_sends_the_current_state_then_each_sale() {
    let app = spawn_app().await;
    app.sell_tickets_a(2).await;
    let client = app.signed_in("owner@a.test").await;
    let mut stream = SseReader::open(&app, &client, &format!("/sse/events/{}/occupancy", app.fixture.event_a)).await;

    let first = stream
        .next_update(Duration::from_secs(5))
        .await
        .expect("the current state at once");
    assert_eq!(first.event, "occupancy");
    assert_eq!(sold_in(&first), 2);

    app.sell_tickets_a(3).await;
    let pushed = stream
        .next_update(Duration::from_secs(5))
        .await
        .expect("a pushed update");
    assert_eq!(sold_in(&pushed), 5);
    assert!(
        pushed.data.contains("€227.50"),
        "gross takings of 5 × €45.50: {}",
        pushed.data
    );
}

#[tokio::test]
async fn a_burst_of_updates_is_coalesced_into_few_frames() {
    const SALES: i64 = 200;
    let app = spawn_app().await;
    let window = app.services.settings.coalesce;
    let client = app.signed_in("owner@a.test").await;
    let mut stream = SseReader::open(&app, &client, &format!("/sse/events/{}/occupancy", app.fixture.event_a)).await;
    stream.next_update(Duration::from_secs(5)).await.expect("initial frame");
    let renders_before = app.services.hub.renders();

    // A burst of sales, each announced at once and each changing what the view shows.
    let bus = app.services.bus.clone();
    let channel = Channel::occupancy(&app.fixture.org_a, app.fixture.event_a);
    let (tenant, event_id, type_id) = (app.fixture.org_a, app.fixture.event_a, app.fixture.ticket_type_a);
    let burst = app
        .db(move |conn| {
            let started = Instant::now();
            for _ in 0..SALES {
                let order = NewOrder {
                    event_id,
                    buyer_name: "Burst Buyer".into(),
                    buyer_email: "burst@example.test".into(),
                    items: vec![voelgoed::orders::OrderItem::new(type_id, 1)],
                    created_at: voelgoed::db::now_ms(),
                };
                place_order(conn, &tenant, &order).unwrap().unwrap();
                bus.publish(Update {
                    channel: channel.clone(),
                    kind: UpdateKind::TicketSold,
                });
            }
            started.elapsed()
        })
        .await;
    let (mut frames, mut last_sold) = (0, None);
    while let Some(message) = stream.next(Duration::from_millis(600)).await {
        if let Some(sold) = crate::helpers::text_of(&message.data, r#"[data-metric="sold"]"#) {
            frames += 1;
            last_sold = Some(sold.replace(',', ""));
        }
    }
    let renders = app.services.hub.renders() - renders_before;

    // One render per coalescing window of the burst (and one after it), not one per
    // update; every frame sent is one of those renders, the last showing every sale.
    let allowed = 2 + (burst.as_millis() / window.as_millis()) as u64;
    assert!(
        allowed < SALES as u64,
        "the burst ({burst:?}) must be shorter than {SALES} windows"
    );
    assert_eq!(last_sold.expect("the burst must be shown"), SALES.to_string());
    assert!(
        renders <= allowed,
        "{renders} renders for {SALES} updates in {burst:?} (allowed {allowed})"
    );
    assert!(frames <= renders, "{frames} frames from {renders} renders");
}

#[tokio::test]
async fn an_update_that_changes_nothing_on_screen_sends_nothing() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let mut stream = SseReader::open(&app, &client, &format!("/sse/events/{}/occupancy", app.fixture.event_a)).await;
    stream.next_update(Duration::from_secs(5)).await.expect("initial frame");

    let channel = Channel::occupancy(&app.fixture.org_a, app.fixture.event_a);
    for _ in 0..20 {
        app.services.bus.publish(Update {
            channel: channel.clone(),
            kind: UpdateKind::ScanOccurred,
        });
    }
    assert_eq!(stream.next_update(Duration::from_millis(800)).await, None);

    app.sell_tickets_a(1).await;
    let pushed = stream
        .next_update(Duration::from_secs(5))
        .await
        .expect("a real change is pushed");
    assert_eq!(sold_in(&pushed), 1);
}

#[tokio::test]
async fn every_subscriber_gets_the_same_rendered_frame_from_one_channel() {
    let app = spawn_app().await;
    let path = format!("/sse/events/{}/occupancy", app.fixture.event_a);
    let (owner, supervisor) = (app.signed_in("owner@a.test").await, app.signed_in("super@a.test").await);
    let mut one = SseReader::open(&app, &owner, &path).await;
    let mut two = SseReader::open(&app, &supervisor, &path).await;
    one.next_update(Duration::from_secs(5)).await.unwrap();
    two.next_update(Duration::from_secs(5)).await.unwrap();
    // One occupancy task for both, and each session's sign-out view.
    assert_eq!(
        app.services.hub.live_channels(),
        3,
        "both clients share one channel task"
    );

    app.sell_tickets_a(1).await;
    let (a, b) = (
        one.next_update(Duration::from_secs(5)).await.unwrap(),
        two.next_update(Duration::from_secs(5)).await.unwrap(),
    );

    assert_eq!(a, b);
    assert_eq!(sold_in(&a), 1);
}

#[tokio::test]
async fn channel_task_stops_when_the_last_client_leaves() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let mut stream = SseReader::open(&app, &client, &format!("/sse/events/{}/occupancy", app.fixture.event_a)).await;
    let first = stream.next_update(Duration::from_secs(5)).await.unwrap();
    assert_eq!(first.event, "occupancy");
    // The occupancy channel and the session's sign-out view.
    assert_eq!(app.services.hub.live_channels(), 2);

    drop(stream);
    // A dead client is noticed on the next write: the next update or keep-alive.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.services.hub.live_channels() > 0 && Instant::now() < deadline {
        // A sale changes the page, so a frame is written to the dead client.
        app.sell_tickets_a(1).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.services.hub.live_channels(), 0);
}

#[tokio::test]
async fn streams_need_a_session() {
    let app = spawn_app().await;
    let response = app
        .client()
        .get(app.url(&format!("/sse/events/{}/occupancy", app.fixture.event_a)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

/// One session holds at most 16 live streams on an instance; a closed one frees its place.
#[tokio::test]
async fn a_session_holds_at_most_sixteen_streams() {
    let app = crate::helpers::spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let path = app.url(&format!("/sse/events/{}/occupancy", app.fixture.event_a));
    let mut open = Vec::new();
    for n in 0..voelgoed::auth::MAX_PER_SESSION {
        let stream = owner.get(&path).send().await.unwrap();
        assert_eq!(stream.status(), 200, "stream {n}");
        open.push(stream);
    }
    let refused = owner.get(&path).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    // Another session is not affected.
    let other = app.signed_in(&app.fixture.supervisor_a).await;
    assert_eq!(other.get(&path).send().await.unwrap().status(), 200);

    drop(open.pop());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        // A closed connection is noticed at the next write: a sale makes one.
        app.sell_tickets_a(1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = owner.get(&path).send().await.unwrap();
        if again.status() == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the closed stream kept its place");
    }
}

/// Served securely the session cookie is `__Host-vg_session`: the same cap holds for it
/// (here over TLS as a trusted proxy says it with `X-Forwarded-Proto: https`).
#[tokio::test]
async fn a_session_over_tls_holds_at_most_sixteen_streams_too() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.trusted_proxies = voelgoed::config::TrustedProxies::parse(&["127.0.0.1".into()]).unwrap();
    })
    .await;
    let client = app.client();
    let login = client
        .get(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::csrf_token(&login).unwrap();
    let signed_in = client
        .post(app.url("/login"))
        .header("x-forwarded-proto", "https")
        .form(&[
            ("email", app.fixture.owner_a.as_str()),
            ("password", crate::helpers::PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let token = signed_in
        .cookies()
        .find(|c| c.name() == voelgoed::auth::SECURE_SESSION_COOKIE)
        .expect("a __Host- session cookie")
        .value()
        .to_owned();
    let path = app.url(&format!("/sse/events/{}/occupancy", app.fixture.event_a));
    let stream = || {
        app.client()
            .get(&path)
            .header("x-forwarded-proto", "https")
            .header("cookie", format!("{}={token}", voelgoed::auth::SECURE_SESSION_COOKIE))
            .send()
    };
    let mut open = Vec::new();
    for n in 0..voelgoed::auth::MAX_PER_SESSION {
        let response = stream().await.unwrap();
        assert_eq!(response.status(), 200, "stream {n}");
        open.push(response);
    }

    let refused = stream().await.unwrap();

    assert_eq!(refused.status(), 429);
}
