//! The cheapest client that drives the real server over loopback HTTP/1.1: a prebuilt
//! request written to a kept-alive tokio `TcpStream`, the response's head parsed by
//! hand and its body (`Content-Length` or chunked) split off the read buffer without
//! being copied or scanned. Its own work is counted with the server's, so it does as
//! little as it can, the same way every time.

use std::net::SocketAddr;

use actix_web::web::{Buf, Bytes, BytesMut};
use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A `GET` of `path`, signed in with the session cookie when one is given. Without
/// `Accept-Encoding`, so the count is the app's work, not gzip's.
pub fn get(path: &str, session: Option<&str>) -> Vec<u8> {
    get_with(path, session, "")
}

/// A `GET` with more header lines (each ending in `\r\n`).
pub fn get_with(path: &str, session: Option<&str>, headers: &str) -> Vec<u8> {
    let cookie = session
        .map(|token| format!("Cookie: {}={token}\r\n", voelgoed::auth::SESSION_COOKIE))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{cookie}{headers}\r\n").into_bytes()
}

/// A device's `POST` of a JSON body.
pub fn post_json(path: &str, bearer: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {bearer}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One kept-alive connection and what it has read and not yet used.
pub struct Connection {
    stream: TcpStream,
    buffer: BytesMut,
}

/// How the body of a response is delimited.
enum Length {
    Fixed(usize),
    Chunked,
}

impl Connection {
    pub async fn open(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: BytesMut::with_capacity(64 * 1024),
        })
    }

    /// Sends `request` and reads the whole response; fails unless it is a 200.
    pub async fn send(&mut self, request: &[u8]) -> anyhow::Result<Bytes> {
        self.stream.write_all(request).await?;
        match self.read_head().await? {
            Length::Fixed(n) => {
                while self.buffer.len() < n {
                    self.fill().await?;
                }
                Ok(self.buffer.split_to(n).freeze())
            }
            Length::Chunked => {
                let mut body = BytesMut::new();
                while let Some(chunk) = self.next_chunk().await? {
                    body.extend_from_slice(&chunk);
                }
                Ok(body.freeze())
            }
        }
    }

    /// Opens a live stream: writes the request and reads the head of its chunked answer.
    pub async fn open_stream(&mut self, request: &[u8]) -> anyhow::Result<()> {
        self.stream.write_all(request).await?;
        match self.read_head().await? {
            Length::Chunked => Ok(()),
            Length::Fixed(_) => anyhow::bail!("a live stream should be chunked"),
        }
    }

    /// The next chunk of a chunked body; None after the last one.
    pub async fn next_chunk(&mut self) -> anyhow::Result<Option<Bytes>> {
        let line = loop {
            if let Some(end) = find(&self.buffer, b"\r\n") {
                break end;
            }
            self.fill().await?;
        };
        let size = std::str::from_utf8(&self.buffer[..line])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .context("a chunk size that is not a number")?;
        while self.buffer.len() < line + 2 + size + 2 {
            self.fill().await?;
        }
        self.buffer.advance(line + 2);
        let chunk = self.buffer.split_to(size).freeze();
        self.buffer.advance(2);
        Ok((size > 0).then_some(chunk))
    }

    /// Reads up to the end of the head; the status must be 200.
    async fn read_head(&mut self) -> anyhow::Result<Length> {
        let end = loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                break end;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
        self.buffer.advance(end + 4);
        let status = head.get(9..12).unwrap_or("");
        anyhow::ensure!(status == "200", "answered {}", head.lines().next().unwrap_or(""));
        let header = |name: &str| {
            head.lines()
                .find_map(|line| line.strip_prefix(name).map(|v| v.trim().to_owned()))
        };
        match (header("content-length:"), header("transfer-encoding:")) {
            (Some(n), _) => Ok(Length::Fixed(n.parse()?)),
            (None, Some(coding)) if coding == "chunked" => Ok(Length::Chunked),
            _ => anyhow::bail!("a response without a length"),
        }
    }

    /// Reads what has arrived into the buffer's spare room (nothing copied or zeroed).
    async fn fill(&mut self) -> anyhow::Result<()> {
        self.buffer.reserve(16 * 1024);
        let n = self.stream.read_buf(&mut self.buffer).await?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        Ok(())
    }
}

/// Where `needle` starts in `haystack` (only ever a head or a chunk-size line).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
