//! The scan log in Chromium when its stream opens again from the page's place: rows it
//! already shows may come again (htmx's extension reconnects without `Last-Event-ID`,
//! and the stream resumes from the page's `since`); each row stays shown once.

use super::live_screens::{monitor_as_supervisor, PAGE_STREAM};
use crate::helpers::{batch, scan, spawn_app};

#[tokio::test]
async fn rows_sent_again_after_a_reconnect_are_shown_once_with_the_new_row_on_top() {
    let app = spawn_app().await;
    let (north, _) = app.device_a("North").await;
    let codes = app.sell_tickets_a(2).await.ticket_codes;
    let scans = codes
        .iter()
        .enumerate()
        .map(|(i, code)| scan(&format!("s{i}"), code, "in"));
    assert_eq!(app.post_scans(&north, &batch(scans.collect())).await.0, 200);
    let browser = monitor_as_supervisor(&app).await;

    // A replay as the reopened stream sends it: the rows shown, then a newer one on top.
    let replay = r#"
        const shown = Array.from(document.querySelectorAll('#scan-log tr')).map(r => r.outerHTML).join('');
        source.dispatchEvent(new MessageEvent('scan-line', { data: shown }));
        source.dispatchEvent(new MessageEvent('scan-line', { data: '<tr data-scan-id="999999"><td>newer</td></tr>' }));
    "#;
    let replay = format!("const source = {PAGE_STREAM};{replay}");
    browser.client.execute(&replay, vec![]).await.unwrap();
    browser
        .wait_for(|b| async move { b.text("#scan-log tr:first-child").await.contains("newer") })
        .await;

    let ids =
        r#"return Array.from(document.querySelectorAll('#scan-log tr')).map(r => r.getAttribute('data-scan-id'));"#;
    let shown = browser.client.execute(ids, vec![]).await.unwrap();
    let shown: Vec<String> = serde_json::from_value(shown).unwrap();
    assert_eq!(shown.len(), 3, "each row once: {shown:?}");
    assert_eq!(shown[0], "999999");
    assert!(
        shown[1].parse::<i64>().unwrap() > shown[2].parse::<i64>().unwrap(),
        "newest first: {shown:?}"
    );
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}
