//! SIGTERM stops the server gracefully: live streams end at once (so clients reconnect
//! elsewhere), scans in flight are answered, nothing acknowledged is lost, and the
//! process exits cleanly within 10 s.

use std::time::{Duration, Instant};

use voelgoed::db::DatabaseUrl;

use crate::helpers::{batch, free_port, scan, spawn_app, ServerProcess, PASSWORD};

#[tokio::test]
async fn sigterm_ends_streams_answers_scans_in_flight_and_exits_within_ten_seconds() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let mut codes = Vec::new();
    for _ in 0..50 {
        codes.extend(app.place_order_a(4).await.ticket_codes);
    }
    let DatabaseUrl::Sqlite(path) = app.services.settings.database.clone() else {
        unreachable!()
    };
    let port = free_port();
    let mut server = ServerProcess::start(&path, port).await;
    let base = format!("http://127.0.0.1:{port}");

    // A dashboard stream, open and receiving.
    let viewer = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let login = viewer.get(format!("{base}/login")).send().await.expect("login page");
    let csrf = crate::helpers::csrf_token(&login.text().await.expect("body")).expect("csrf");
    let form = [("email", "owner@a.test"), ("password", PASSWORD), ("csrf_token", &csrf)];
    viewer
        .post(format!("{base}/login"))
        .form(&form)
        .send()
        .await
        .expect("sign in");
    let stream = viewer
        .get(format!("{base}/sse/events/{}/occupancy", app.fixture.event_a))
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    let mut stream = stream;
    assert!(
        matches!(stream.chunk().await, Ok(Some(_))),
        "the stream sends the current state"
    );

    // Devices keep scanning through the stop.
    let devices: Vec<_> = codes
        .chunks(codes.len() / 4)
        .enumerate()
        .map(|(lane, lane_codes)| {
            let (base, token, lane_codes) = (base.clone(), token.clone(), lane_codes.to_vec());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut acknowledged = Vec::new();
                for (n, code) in lane_codes.iter().enumerate() {
                    let id = format!("lane{lane}-{n}");
                    let sent = client
                        .post(format!("{base}/api/v1/scans"))
                        .bearer_auth(&token)
                        .json(&batch(vec![scan(&id, code, "in")]))
                        .send()
                        .await;
                    match sent {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            assert!(status == 200 || status == 503, "{id}: {status}");
                            if status == 200 {
                                acknowledged.push(id);
                            }
                        }
                        Err(_) => break, // no longer accepting
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;

    let signalled = Instant::now();
    server.terminate();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the live stream did not end on SIGTERM");
    let stream_closed_after = signalled.elapsed();
    let status = server.exited_within(Duration::from_secs(10)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "exit within 10 s and cleanly: {status:?}"
    );
    assert!(stream_closed_after < Duration::from_secs(3), "{stream_closed_after:?}");

    let mut acknowledged = Vec::new();
    for device in devices {
        acknowledged.extend(device.await.expect("device"));
    }
    assert!(!acknowledged.is_empty());
    let stored: Vec<String> = app
        .db(|conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::scans;
            scans::table.select(scans::device_scan_id).load(conn).expect("scans")
        })
        .await;
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged scan {id} was lost");
    }
}
