//! A real browser for the tests: Debian's Chromium driven through chromedriver
//! (WebDriver) at phone size, with its console log kept and checked for CSP violations.
//! `CHROMEDRIVER` may name another driver.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::TestApp;
use super::PASSWORD;

pub struct Browser {
    pub client: Client,
    pub driver: Child,
    pub driver_url: String,
    /// Every console entry read from the driver so far (reading drains the driver's).
    pub log: std::sync::Mutex<Vec<serde_json::Value>>,
}

impl Browser {
    /// A headless Chromium at phone size (360×640), with its console log kept.
    pub async fn start() -> Browser {
        Self::start_with(true).await
    }

    /// The same browser with JavaScript switched off by Chrome's content settings.
    pub async fn start_without_javascript() -> Browser {
        Self::start_with(false).await
    }

    /// Makes the current page's viewport really 360×640 CSS pixels, a phone's (by
    /// Chrome's device emulation, through chromedriver's CDP endpoint): a headless
    /// window is never narrower than 500 px, whatever `--window-size` asks. Call it
    /// after each `goto`: a navigation may drop it.
    pub async fn emulate_phone(&self) {
        self.emulate_viewport(360, 640).await;
    }

    /// Makes the viewport `width` × `height` CSS pixels; below 600 px wide, a phone's
    /// (touch, device scale 2), else a desktop's.
    pub async fn emulate_viewport(&self, width: u32, height: u32) {
        let session = self.client.session_id().await.unwrap().unwrap();
        let (scale, mobile) = if width < 600 { (2, true) } else { (1, false) };
        let emulate = json!({
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": { "width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile }
        });
        let response = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.driver_url))
            .json(&emulate)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.text().await.unwrap());
        let shown = self.client.execute("return window.innerWidth;", vec![]).await.unwrap();
        assert_eq!(shown, width, "the viewport is {width} px wide");
    }

    /// axe-core's WCAG 2.1 A and AA violations on the current page, each as "rule: the
    /// elements" (empty when the page passes). axe is injected by the driver, which the
    /// page's content security policy does not govern.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        const AXE: &str = include_str!("../../vendor/axe.min.js");
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .unwrap();
        if loaded != json!(true) {
            self.client
                .execute(&format!("{AXE}\nreturn true;"), vec![])
                .await
                .unwrap();
        }
        let run = "const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));";
        let found = self.client.execute_async(run, vec![]).await.unwrap();
        serde_json::from_value(found).unwrap()
    }

    /// A browser whose camera is a fake one showing `video` (a Y4M file) to any page
    /// that asks, without asking the user.
    pub async fn start_with_camera(video: &std::path::Path) -> Browser {
        let args = vec![
            "--use-fake-ui-for-media-stream".to_owned(),
            "--use-fake-device-for-media-stream".to_owned(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ];
        Self::start_with_args(true, &args).await
    }

    /// Cuts the page off the network (or gives it back), as a phone losing its signal.
    pub async fn set_offline(&self, offline: bool) {
        let conditions = json!({ "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 });
        self.cdp("Network.enable", json!({})).await;
        self.cdp("Network.emulateNetworkConditions", conditions).await;
    }

    /// One Chrome DevTools command on the current page, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> serde_json::Value {
        let session = self.client.session_id().await.unwrap().unwrap();
        let response = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.driver_url))
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{cmd}: {}",
            response.text().await.unwrap()
        );
        response.json().await.unwrap()
    }

    pub async fn start_with(javascript: bool) -> Browser {
        Self::start_with_args(javascript, &[]).await
    }

    async fn start_with_args(javascript: bool, extra: &[String]) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        // Its own process group, so the browser it starts can be ended with it.
        let driver = Command::new(&chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver} ({e}): run the tests with scripts/test.sh"));
        let driver_url = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().unwrap().keep();
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=360,640",
        ]
        .map(str::to_owned)
        .to_vec();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(extra.iter().cloned());
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": args,
                "prefs": { "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 } }
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
            log: std::sync::Mutex::default(),
        }
    }

    /// Opens `url` and fails on any Content-Security-Policy violation seen so far.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        self.assert_no_csp_violations().await;
    }

    pub async fn sign_in(&self, app: &TestApp, email: &str) {
        self.goto(&app.url("/login")).await;
        self.fill(r#"input[name="email"]"#, email).await;
        self.fill(r#"input[name="password"]"#, PASSWORD).await;
        self.click(Locator::Css(r#"button[type="submit"]"#)).await;
        self.wait_for(|b| async move { b.client.current_url().await.unwrap().path() == "/events" })
            .await;
    }

    /// Marks the current page load; a reload loses the mark.
    pub async fn mark_page_load(&self) {
        self.client
            .execute("window.loadMarker = 'same page'; return true;", vec![])
            .await
            .unwrap();
    }

    pub async fn is_same_page_load(&self) -> bool {
        self.client.execute("return window.loadMarker;", vec![]).await.unwrap() == json!("same page")
    }

    pub async fn fill(&self, css: &str, text: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }

    /// The rendered text of the first match, read in one step: live swaps replace
    /// elements, so a found element can be gone by the time its text is asked for.
    pub async fn text(&self, css: &str) -> String {
        let script = "const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : '';";
        let value = self.client.execute(script, vec![json!(css)]).await.unwrap();
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Clicks the first match. A live push may replace the element between finding and
    /// clicking it (stale, or covered while it settles): then it is found again, a few
    /// times before giving up.
    pub async fn click(&self, locator: Locator<'_>) {
        let mut tries = 0;
        loop {
            let clicked = match self.client.find(locator).await {
                Ok(element) => element.click().await.map(|_| ()),
                Err(e) => Err(e),
            };
            match clicked {
                Ok(()) => return,
                Err(_) if tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot click {locator:?}: {e}"),
            }
        }
    }

    /// Waits until something matches `css`.
    pub async fn wait_for_element(&self, css: &str) {
        self.wait_for(|b| async move { b.client.find(Locator::Css(css)).await.is_ok() })
            .await;
    }

    pub async fn wait_for<'a, F, Fut>(&'a self, check: F)
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
    pub async fn horizontal_overflow(&self) -> i64 {
        let script = "const cards = [...document.querySelectorAll('.card')]
                          .map(c => c.scrollWidth - c.clientWidth);
                      return Math.max(document.documentElement.scrollWidth - window.innerWidth, ...cards, 0);";
        let value = self.client.execute(script, vec![]).await.unwrap();
        value.as_i64().unwrap()
    }

    /// How far anything sticks out sideways, in CSS pixels: the page itself
    /// (`document.scrollWidth` past `innerWidth`) or any box that scrolls its own content
    /// sideways (a `.table-scroll`); 0 when everything reads without sideways scrolling.
    pub async fn sideways_scrolling(&self) -> i64 {
        let script = "const boxes = [...document.querySelectorAll('.table-scroll, .card')]
                          .map(b => b.scrollWidth - b.clientWidth);
                      return Math.max(document.documentElement.scrollWidth - window.innerWidth, ...boxes, 0);";
        self.client.execute(script, vec![]).await.unwrap().as_i64().unwrap()
    }

    /// Every console entry of the session so far, on every page it opened.
    pub async fn console(&self) -> Vec<serde_json::Value> {
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
        let mut kept = self.log.lock().unwrap();
        kept.extend(log["value"].as_array().unwrap().iter().cloned());
        kept.clone()
    }

    /// Console messages at level SEVERE (JavaScript errors, failed loads).
    pub async fn console_errors(&self) -> Vec<String> {
        self.console()
            .await
            .iter()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].to_string())
            .collect()
    }

    /// What Chromium reported refusing under the page's Content-Security-Policy
    /// ("Refused to apply inline style because it violates the following Content
    /// Security Policy directive …"), on any page of the session so far.
    pub async fn csp_violations(&self) -> Vec<String> {
        self.console()
            .await
            .iter()
            .map(|entry| entry["message"].to_string())
            .filter(|message| {
                message.contains("Content Security Policy") || message.contains("Content-Security-Policy")
            })
            .collect()
    }

    pub async fn assert_no_csp_violations(&self) {
        let violations = self.csp_violations().await;
        assert!(violations.is_empty(), "CSP violations: {violations:#?}");
    }

    /// Ends the session; fails when any page it showed broke the CSP.
    pub async fn close(self) {
        self.assert_no_csp_violations().await;
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// Ends chromedriver and the browser it started, also when a test panics.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}
