//! One live stream (SSE) read over the minimal client. The server writes each SSE
//! message as one chunk of the chunked body, so a message is a chunk, told apart by its
//! first bytes (`:` a comment such as a keep-alive, `retry:` the reconnect delay, else
//! a message with data) without reading the rest of it.

use std::net::SocketAddr;
use std::time::Duration;

use super::http::{get_with, Connection};

pub struct LiveStream {
    connection: Connection,
}

impl LiveStream {
    /// Opens `path` (signed in with `session` when given) and reads its head.
    pub async fn open(address: SocketAddr, path: &str, session: Option<&str>) -> anyhow::Result<Self> {
        let mut connection = Connection::open(address).await?;
        // As a browser's EventSource asks.
        let request = get_with(path, session, "Accept: text/event-stream\r\n");
        connection.open_stream(&request).await?;
        Ok(Self { connection })
    }

    /// Whether the next message carries data (a part of a frame).
    pub async fn next_message(&mut self) -> anyhow::Result<bool> {
        let message = self.connection.next_chunk().await?;
        let message = message.ok_or_else(|| anyhow::anyhow!("the stream ended"))?;
        Ok(!(message.starts_with(b":") || message.starts_with(b"retry:")))
    }

    /// Reads `messages` messages with data (the parts of one frame).
    pub async fn read_parts(&mut self, messages: usize) -> anyhow::Result<()> {
        let mut read = 0;
        while read < messages {
            read += usize::from(self.next_message().await?);
        }
        Ok(())
    }

    /// Reads messages until none has come for `wait`: how many carried data.
    pub async fn until_quiet(&mut self, wait: Duration) -> anyhow::Result<usize> {
        let mut read = 0;
        while let Ok(message) = tokio::time::timeout(wait, self.next_message()).await {
            read += usize::from(message?);
        }
        Ok(read)
    }
}
