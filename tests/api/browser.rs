//! Real-browser scenarios: Debian's Chromium driven through chromedriver (WebDriver).
//! The README's test command installs both; `CHROMEDRIVER` may name another driver.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{spawn_app, TestApp, PASSWORD};

struct Browser {
    client: Client,
    driver: Child,
    driver_url: String,
}

impl Browser {
    /// A headless Chromium at phone size (360×640), with its console log kept.
    async fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver} ({e}): run the tests with scripts/test.sh"));
        let driver_url = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().unwrap().keep();
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=360,640",
                    format!("--user-data-dir={}", profile.display()),
                ]
            },
            "goog:loggingPrefs": { "browser": "ALL" }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&driver_url)
                .await;
            match builder {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => {
                    panic!("chromedriver did not start a session: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Browser {
            client,
            driver,
            driver_url,
        }
    }

    async fn sign_in(&self, app: &TestApp, email: &str) {
        self.client.goto(&app.url("/login")).await.unwrap();
        self.client
            .find(Locator::Css(r#"input[name="email"]"#))
            .await
            .unwrap()
            .send_keys(email)
            .await
            .unwrap();
        self.client
            .find(Locator::Css(r#"input[name="password"]"#))
            .await
            .unwrap()
            .send_keys(PASSWORD)
            .await
            .unwrap();
        self.client
            .find(Locator::Css(r#"button[type="submit"]"#))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for(|b| async move { b.client.current_url().await.unwrap().path() == "/events" })
            .await;
    }

    async fn text(&self, css: &str) -> String {
        self.client.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
    }

    async fn wait_for<'a, F, Fut>(&'a self, check: F)
    where
        F: Fn(&'a Self) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check(self).await {
            assert!(
                Instant::now() < deadline,
                "the page did not reach the expected state in time"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How far the page, or any card's content, sticks out horizontally, in CSS pixels
    /// (0 when everything fits; tables may scroll inside their own box).
    async fn horizontal_overflow(&self) -> i64 {
        let script = "const cards = [...document.querySelectorAll('.card')]
                          .map(c => c.scrollWidth - c.clientWidth);
                      return Math.max(document.documentElement.scrollWidth - window.innerWidth, ...cards, 0);";
        let value = self.client.execute(script, vec![]).await.unwrap();
        value.as_i64().unwrap()
    }

    /// Console messages at level SEVERE (JavaScript errors, failed loads).
    async fn console_errors(&self) -> Vec<String> {
        let session = self.client.session_id().await.unwrap().unwrap();
        let log: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].to_string())
            .collect()
    }

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test]
async fn a_sale_is_pushed_into_the_open_event_page_without_a_reload() {
    let app = spawn_app().await;
    app.sell_tickets_a(1).await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    browser
        .client
        .find(Locator::LinkText("Alpha Festival"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for(|b| async move { b.client.find(Locator::Css(r#"[data-metric="sold"]"#)).await.is_ok() })
        .await;
    assert_eq!(browser.text(r#"[data-metric="sold"]"#).await, "1");
    // Marks this page load: a reload would lose it.
    browser
        .client
        .execute("window.loadMarker = 'same page'; return true;", vec![])
        .await
        .unwrap();
    // Let the SSE connection open before the sale.
    browser.wait_for(|_| async { app.state.hub.live_channels() == 1 }).await;

    app.sell_tickets_a(2).await;

    browser
        .wait_for(|b| async move { b.text(r#"[data-metric="sold"]"#).await == "3" })
        .await;
    let marker = browser
        .client
        .execute("return window.loadMarker;", vec![])
        .await
        .unwrap();
    assert_eq!(marker, json!("same page"), "the update arrived without a reload");
    assert_eq!(browser.horizontal_overflow().await, 0, "nothing overflows at 360 px");
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn event_list_and_scan_monitor_fit_a_360_px_phone() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "owner@a.test").await;
    assert_eq!(browser.horizontal_overflow().await, 0, "/events");

    browser
        .client
        .goto(&app.url(&format!("/events/{}/scans", app.fixture.event_a)))
        .await
        .unwrap();
    browser
        .wait_for(|b| async move { b.client.find(Locator::Css(r#"[data-metric="valid"]"#)).await.is_ok() })
        .await;

    assert_eq!(browser.horizontal_overflow().await, 0, "scan monitor");
    assert_eq!(browser.console_errors().await, Vec::<String>::new());
    browser.close().await;
}
