//! A new user's first minute on PostgreSQL: `voelgoed demo` on an empty database, then
//! the live event's dashboard and scan monitor at once, before autovacuum has looked at
//! the new tables. Each answers 200 within a second with every panel drawn, and the
//! arrivals, which read the most rows, are there within two.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::postgres::fresh_postgres_database;
use crate::helpers::{browser_like_client, sign_in_at, text_of};

/// The demo's process, ended with the test however it ends.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `voelgoed demo` (quiet simulator) until it serves: the process, its address and the
/// logins it printed.
fn start_demo(database: &str, mail_log: &std::path::Path) -> (Demo, String, Vec<(String, String)>) {
    let mut demo = Command::new(env!("CARGO_BIN_EXE_voelgoed"))
        .args(["demo", "--addr", "127.0.0.1:0", "--database", database])
        .args(["--orders-per-second", "0", "--scans-per-second", "0"])
        .arg("--mail-log")
        .arg(mail_log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut address = None;
    let mut logins = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Voelgoed demo console: ") {
            address = Some(rest.trim_end_matches("/login").to_owned());
            continue;
        }
        if let Some((email, password)) = line
            .strip_prefix("  ")
            .and_then(|l| l.split_once("  (")?.0.split_once(" / "))
        {
            logins.push((email.to_owned(), password.to_owned()));
            if logins.len() == 4 {
                break;
            }
        }
    }
    // Keep reading, or the demo's next line meets a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (Demo(demo), address.expect("the demo printed its address"), logins)
}

async fn signed_in(base: &str, email: &str, password: &str) -> reqwest::Client {
    let client = browser_like_client();
    assert_eq!(
        sign_in_at(base, &client, email, password).await.status(),
        303,
        "sign-in as {email}"
    );
    client
}

/// The dashboard link of the event named `name` on the event list.
fn dashboard_of(events: &str, name: &str) -> String {
    let html = scraper::Html::parse_document(events);
    let links = scraper::Selector::parse("a[href]").unwrap();
    html.select(&links)
        .filter(|a| a.text().collect::<String>().contains(name))
        .filter_map(|a| a.value().attr("href"))
        .find(|href| {
            href.strip_prefix("/events/")
                .is_some_and(|id| id.parse::<i64>().is_ok())
        })
        .expect("a link to the event's dashboard")
        .to_owned()
}

async fn timed_get(client: &reqwest::Client, url: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (status, body, started.elapsed())
}

#[tokio::test]
async fn a_fresh_postgres_demo_answers_its_first_dashboard_within_a_second() {
    let admin = std::env::var("VOELGOED_TEST_POSTGRES")
        .expect("VOELGOED_TEST_POSTGRES must name a PostgreSQL server: run the tests with scripts/test.sh");
    let database = fresh_postgres_database(&admin, &format!("voelgoed_fresh_demo_{}", std::process::id()));
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base, logins) = start_demo(&database, &dir.path().join("mail.log"));
    let (email, password) = logins.iter().find(|(email, _)| email.starts_with("owner@")).unwrap();
    let client = signed_in(&base, email, password).await;
    let (_, events, _) = timed_get(&client, &format!("{base}/events")).await;
    let dashboard = format!("{base}{}", dashboard_of(&events, "Voelgoed Summer Festival"));

    let first = Instant::now();
    for url in [dashboard.clone(), format!("{dashboard}/scans")] {
        let (status, page, took) = timed_get(&client, &url).await;
        assert_eq!(status, 200, "{url}");
        assert!(took < Duration::from_secs(1), "{url} took {took:?}");
        assert!(
            !page.contains(r#"data-panel="unavailable""#),
            "{url}: a panel is unavailable"
        );
    }
    // The arrivals read the most rows: kept within two seconds of the first load.
    let arrivals = loop {
        let (_, page, _) = timed_get(&client, &dashboard).await;
        if text_of(&page, "#arrivals-chart [data-panel]").is_none() || first.elapsed() > Duration::from_secs(2) {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        text_of(&arrivals, "#arrivals-chart [data-panel]").is_none(),
        "arrivals still not drawn after {:?}",
        first.elapsed()
    );
    assert!(text_of(&arrivals, "#arrivals svg").is_some(), "the arrivals chart");
}
