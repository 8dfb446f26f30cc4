//! Live streams at scale: a client that stops reading holds a bounded amount of the
//! server's buffers and is then dropped; streams opened and closed leave nothing behind
//! (no channel, no render task, no subscriber).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use voelgoed::auth::{open_session, SESSION_COOKIE};
use voelgoed::kiosk::{create_kiosk_link, LinkRequest};

use crate::helpers::{batch, scan, spawn_app, spawn_app_with, TestApp};

/// What the kernel may hold for one stalled client (the server's own write buffer, at
/// most 32 KB, comes on top): the rest of the 256 KB budget.
const KERNEL_BUDGET: usize = 256 * 1024 - 32 * 1024;

/// A new session of `email`, as the cookie value.
async fn session_of(app: &TestApp, email: &str) -> String {
    let email = email.to_owned();
    app.db(move |conn| {
        use diesel::prelude::*;
        use voelgoed::db::schema::users;
        let user_id: i64 = users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(conn)
            .unwrap();
        open_session(conn, user_id, 3_600_000).unwrap()
    })
    .await
}

/// A raw client with a tiny receive buffer that sends the GET and reads the response
/// head and the first bytes of the stream.
async fn open_raw(app: &TestApp, path: &str, cookie: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket
        .connect(format!("127.0.0.1:{}", app.port()).parse().unwrap())
        .await
        .unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: {SESSION_COOKIE}={cookie}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 2048];
    let read = stream.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..read]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    stream
}

/// The server-side socket of the connection from `client_port`: bytes in its send queue
/// (unsent or unacknowledged), or None once the connection is gone.
fn server_send_queue(server_port: u16, client_port: u16) -> Option<usize> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let port_of = |address: &str| u16::from_str_radix(address.rsplit(':').next().unwrap_or(""), 16).ok();
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (local, remote, queues) = (fields[1], fields[2], fields[4]);
        (port_of(local) == Some(server_port) && port_of(remote) == Some(client_port))
            .then(|| usize::from_str_radix(queues.split(':').next().unwrap_or("0"), 16).unwrap_or(0))
    })
}

#[tokio::test]
async fn a_client_that_stops_reading_holds_little_and_is_dropped() {
    let app = spawn_app_with(|settings| settings.slow_clients.unread_timeout = Duration::from_secs(2)).await;
    let cookie = session_of(&app, "owner@a.test").await;
    let client = open_raw(&app, &format!("/sse/events/{}/scans", app.fixture.event_a), &cookie).await;
    let client_port = client.local_addr().unwrap().port();
    assert!(server_send_queue(app.port(), client_port).is_some());
    let (device, _) = app.device_a("North").await;

    // The client reads nothing more, while every scan pushes a row of the log to it.
    let started = Instant::now();
    let (mut most_queued, mut posted) = (0, 0);
    let dropped_after = loop {
        let scans = (0..100).map(|i| scan(&format!("slow-{posted}-{i}"), &format!("NO-SUCH-{posted}-{i}"), "in"));
        let (status, _) = app.post_scans(&device, &batch(scans.collect())).await;
        assert_eq!(status, 200);
        posted += 1;
        match server_send_queue(app.port(), client_port) {
            Some(queued) => most_queued = most_queued.max(queued),
            None => break started.elapsed(),
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the stalled client was never dropped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        most_queued > 16 * 1024,
        "the stalled client's buffers filled: {most_queued} bytes"
    );
    assert!(
        most_queued <= KERNEL_BUDGET,
        "the kernel held {most_queued} bytes for one stalled client"
    );
    assert!(
        dropped_after >= Duration::from_secs(2),
        "dropped only once stalled: {dropped_after:?}"
    );
    assert!(
        wait_for(|| app.services.hub.live_channels() == 0).await,
        "its subscriptions ended with it: {} channels live",
        app.services.hub.live_channels()
    );
    drop(client);
}

/// Whether `done` holds within 5 s.
async fn wait_for(done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test]
async fn streams_opened_and_closed_leave_no_channel_or_subscriber() {
    let app = spawn_app().await;
    let f = app.fixture.clone();
    let owner_b = app
        .db(|conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::users;
            users::table
                .filter(users::email.eq("owner@b.test"))
                .select(users::id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let request = LinkRequest {
        tenant: f.org_b,
        user_id: owner_b,
        event_id: f.event_b,
        gate_id: None,
    };
    let kiosk = create_kiosk_link(&app.services.pool, request).await.unwrap();
    let streams = [
        (voelgoed::paths::event_dashboard_stream(f.event_a), Some("owner@a.test")),
        (voelgoed::paths::scan_monitor_stream(f.event_a), Some("owner@a.test")),
        (voelgoed::paths::event_dashboard_stream(f.event_b), Some("owner@b.test")),
        (voelgoed::paths::kiosk_stream(&kiosk), None),
    ];
    for round in 0..4 {
        let mut open = Vec::new();
        for i in 0..50 {
            let (path, viewer) = &streams[i % streams.len()];
            // A session of its own per stream: a session may hold only 16.
            let cookie = match viewer {
                Some(email) => session_of(&app, email).await,
                None => String::new(),
            };
            open.push(open_raw(&app, path, &cookie).await);
        }
        let hub = &app.services.hub;
        assert!(
            hub.live_channels() >= 4,
            "round {round}: {} channels",
            hub.live_channels()
        );
        assert!(
            hub.subscribers() >= 50,
            "round {round}: {} subscribers",
            hub.subscribers()
        );
        drop(open);
        assert!(
            wait_for(|| hub.live_channels() == 0 && hub.subscribers() == 0).await,
            "round {round}: {} channels and {} subscribers left after every stream closed",
            hub.live_channels(),
            hub.subscribers()
        );
    }
}
