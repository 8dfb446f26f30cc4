//! A real HTTP endpoint for the webhook tests: it records every request (headers, body,
//! arrival) and answers 500 to the first N of them (or all), 200 afterwards.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

/// One request the listener received.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub signature: Option<String>,
    pub delivery: Option<String>,
    pub event: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Answer {
    /// 200 to everything.
    Ok,
    /// 500 to the first N requests, then 200.
    FailFirst(usize),
    /// 500 to everything.
    AlwaysFail,
}

#[derive(Clone)]
struct State {
    answer: Answer,
    received: Arc<Mutex<Vec<Received>>>,
}

pub struct WebhookListener {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    server: actix_web::dev::ServerHandle,
}

impl WebhookListener {
    pub async fn start(answer: Answer) -> Self {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let state = State {
            answer,
            received: received.clone(),
        };
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("bind");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            port,
            received,
            server: handle,
        }
    }

    /// `http://127.0.0.1:PORT/hooks`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived (at most `timeout`); what arrived.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= n || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for WebhookListener {
    fn drop(&mut self) {
        let server = self.server.clone();
        tokio::spawn(async move { server.stop(false).await });
    }
}

async fn record(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let n = {
        let mut received = state.received.lock().unwrap();
        received.push(Received {
            at: Instant::now(),
            signature: header("voelgoed-signature"),
            delivery: header("voelgoed-delivery"),
            event: header("voelgoed-event"),
            content_type: header("content-type"),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        received.len()
    };
    let fail = match state.answer {
        Answer::Ok => false,
        Answer::FailFirst(first) => n <= first,
        Answer::AlwaysFail => true,
    };
    match fail {
        true => HttpResponse::InternalServerError().body("test endpoint failing on purpose"),
        false => HttpResponse::Ok().body("thanks"),
    }
}

/// Whether `signature` (`t=…,v1=…`) is the HMAC-SHA256 of `"<t>.<body>"` under `secret`.
pub fn signature_verifies(secret: &str, signature: &str, body: &str) -> bool {
    use hmac::{Hmac, Mac};
    let mut t = None;
    let mut v1 = None;
    for part in signature.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    expected == v1
}
