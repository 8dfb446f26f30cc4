//! An acknowledged scan is durable: `kill -9` of the server right after its 200 loses
//! nothing.

use std::collections::HashSet;
use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db::schema::scans;
use voelgoed::db::DatabaseUrl;

use crate::helpers::{batch, scan, spawn_app, ServerProcess};

#[tokio::test]
async fn acknowledged_scans_survive_kill_9() {
    let app = spawn_app().await;
    let (token, _) = app.device_a("North").await;
    let mut codes = Vec::new();
    for _ in 0..100 {
        codes.extend(app.sell_tickets_a(4).await.ticket_codes);
    }
    let DatabaseUrl::Sqlite(path) = app.services.settings.database.clone() else {
        unreachable!()
    };
    let port = crate::helpers::free_port();
    let server = ServerProcess::start(&path, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let first_ack = std::sync::Arc::new(tokio::sync::Notify::new());

    // Eight devices' worth of traffic; the server is killed while it is in full flow.
    let posters: Vec<_> = codes
        .chunks(codes.len() / 8)
        .enumerate()
        .map(|(lane, lane_codes)| {
            let (client, base, token, lane_codes) = (client.clone(), base.clone(), token.clone(), lane_codes.to_vec());
            let first_ack = first_ack.clone();
            tokio::spawn(async move {
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
                        Ok(response) if response.status() == 200 => {
                            acknowledged.push(id);
                            first_ack.notify_one();
                        }
                        _ => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    // Killed in full flow: once scans are being acknowledged (a loaded machine may take
    // a while for the first), a little later.
    tokio::time::timeout(Duration::from_secs(10), first_ack.notified())
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(80)).await;
    server.stop(); // SIGKILL: no shutdown, no flush
    let mut acknowledged = HashSet::new();
    for poster in posters {
        acknowledged.extend(poster.await.unwrap());
    }

    let stored: HashSet<String> = app
        .db(|conn| scans::table.select(scans::device_scan_id).load::<String>(conn).unwrap())
        .await
        .into_iter()
        .collect();
    eprintln!(
        "{} of {} scans acknowledged before kill -9",
        acknowledged.len(),
        codes.len()
    );
    assert!(!acknowledged.is_empty(), "some scans were acknowledged before the kill");
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged scans lost: {lost:?}", lost.len());
}
