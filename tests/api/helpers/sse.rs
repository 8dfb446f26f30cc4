//! Reading a live stream as a browser's EventSource would: messages, whole updates,
//! and whether the server ends it.

use std::time::{Duration, Instant};

use super::TestApp;

/// Reads SSE messages from a streaming response.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub event: String,
    pub data: String,
    pub id: Option<String>,
}

impl SseReader {
    pub async fn open(app: &TestApp, client: &reqwest::Client, path: &str) -> Self {
        Self::open_after(app, client, path, None).await
    }

    /// Opens the stream as a reconnecting browser would, with `Last-Event-ID`.
    pub async fn open_after(app: &TestApp, client: &reqwest::Client, path: &str, last_event_id: Option<&str>) -> Self {
        let mut request = client.get(app.url(path));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next message with data, or None if none arrives within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Message> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut message = Message {
                    event: String::new(),
                    data: String::new(),
                    id: None,
                };
                for line in block.lines() {
                    if let Some(event) = line.strip_prefix("event: ") {
                        message.event = event.to_owned();
                    } else if let Some(id) = line.strip_prefix("id: ") {
                        message.id = Some(id.to_owned());
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        message.data.push_str(data);
                    }
                }
                if !message.data.is_empty() {
                    return Some(message);
                }
                continue;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            let chunk = tokio::time::timeout(left, self.response.chunk()).await.ok()?.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

impl SseReader {
    /// Whether the server ends the stream within `wait` (whatever it sends before).
    pub async fn closes_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            match tokio::time::timeout(left, self.response.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None) | Err(_)) => return true,
            }
        }
    }

    /// The next message whose data holds `text`, skipping others, within `wait` in all.
    pub async fn until_containing(&mut self, text: &str, wait: Duration) -> Option<Message> {
        let deadline = Instant::now() + wait;
        while let Some(message) = self.next(deadline.saturating_duration_since(Instant::now())).await {
            if message.data.contains(text) {
                return Some(message);
            }
        }
        None
    }

    /// The messages of one update (a frame's parts arrive back to back), joined: the
    /// first within `wait`, then every one following within 100 ms.
    pub async fn next_update(&mut self, wait: Duration) -> Option<Message> {
        let mut update = self.next(wait).await?;
        while let Some(more) = self.next(Duration::from_millis(100)).await {
            update.data.push_str(&more.data);
            update.id = more.id.or(update.id);
        }
        Some(update)
    }
}

/// The scan ids of the scan-log rows in a message, in the order they appear.
pub fn scan_ids(data: &str) -> Vec<i64> {
    data.split(r#"data-scan-id=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}
