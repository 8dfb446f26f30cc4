//! One SSE client of `bench-fanout`, as cheap as a client can be: raw HTTP/1.1 over a
//! tokio `TcpStream` from a chosen loopback source address, the chunked body and SSE
//! lines parsed by hand. It notes when each message arrived and the count it showed,
//! and, like a browser's EventSource, reconnects after the server's `retry:` delay.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;

/// Which page's stream a client holds, and where in its messages the count of people
/// inside is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Monitor,
    Dashboard,
    Kiosk,
    /// The organisation's overview: one card per event, the client's event among them.
    Overview,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Monitor, Kind::Dashboard, Kind::Kiosk, Kind::Overview];

    fn marker(self) -> &'static str {
        match self {
            Kind::Dashboard | Kind::Overview => "data-metric=\"inside\">",
            Kind::Monitor | Kind::Kiosk => "data-metric=\"occupancy\">",
        }
    }
}

/// What every client is told to do: each change of it ends their current connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Stream,
    /// Close the connection now and reconnect (the n-th storm).
    Reconnect(u32),
    /// Close for good.
    Finish,
}

/// What one client saw.
#[derive(Default)]
pub struct Seen {
    /// (arrival, count inside) of every message that showed the count.
    pub counts: Vec<(Instant, i64)>,
    /// Messages with data, and of those, scan-log rows and log redraws.
    pub messages: u64,
    pub log_rows: u64,
    /// Bytes of the messages with data (as sent, before HTTP's chunking).
    pub bytes: u64,
    /// When each scan-log row arrived.
    pub row_arrivals: Vec<Instant>,
    pub log_redraws: u64,
    /// Connection start → first message, per connection made.
    pub connects: Vec<(Instant, Duration)>,
    /// When the first message of the latest connection arrived.
    pub streaming_since: Option<Instant>,
    pub failed_connects: u64,
    /// The server's `retry:` delay last sent.
    pub retry: Option<Duration>,
    /// The local address of the latest connection.
    pub local: Option<SocketAddr>,
}

pub struct Client {
    pub kind: Kind,
    /// Where in a message this client's event starts (the overview shows every event
    /// of the organisation); empty when the whole message is its event's.
    pub count_anchor: String,
    pub request: String,
    pub server: SocketAddr,
    pub source: Ipv4Addr,
    /// Stops reading after its first message (a phone that lost its network).
    pub slow: bool,
    pub reconnect: bool,
    pub commands: watch::Receiver<Command>,
    pub seen: Arc<Mutex<Seen>>,
}

impl Client {
    pub async fn run(mut self) {
        let mut retry = Duration::from_secs(2);
        loop {
            self.commands.borrow_and_update();
            let started = Instant::now();
            match self.connect().await {
                Ok(stream) => {
                    self.stream(stream, started).await;
                    if let Ok(seen) = self.seen.lock() {
                        retry = seen.retry.unwrap_or(retry);
                    }
                }
                Err(_) => self.note(|seen| seen.failed_connects += 1),
            }
            if !self.reconnect || *self.commands.borrow() == Command::Finish {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(retry) => {}
                _ = self.commands.wait_for(|c| *c == Command::Finish) => return,
            }
        }
    }

    async fn connect(&self) -> std::io::Result<TcpStream> {
        let socket = TcpSocket::new_v4()?;
        if self.slow {
            // As a phone whose network went away: the window closes almost at once.
            socket.set_recv_buffer_size(4096)?;
        }
        socket.bind(SocketAddr::new(self.source.into(), 0))?;
        let mut stream = tokio::time::timeout(Duration::from_secs(10), socket.connect(self.server)).await??;
        stream.write_all(self.request.as_bytes()).await?;
        let local = stream.local_addr()?;
        self.note(|seen| seen.local = Some(local));
        Ok(stream)
    }

    fn note(&self, change: impl FnOnce(&mut Seen)) {
        if let Ok(mut seen) = self.seen.lock() {
            change(&mut seen);
        }
    }

    /// Reads the response until it ends (or the run drops it).
    async fn stream(&mut self, mut stream: TcpStream, started: Instant) {
        let (mut raw, mut text) = (Vec::with_capacity(2048), String::new());
        let mut head_done = false;
        let mut first = true;
        let mut buf = [0u8; 4096];
        loop {
            let read = tokio::select! {
                read = stream.read(&mut buf) => read,
                _ = self.commands.changed() => return,
            };
            let Ok(n @ 1..) = read else { return };
            raw.extend_from_slice(&buf[..n]);
            if !head_done {
                let Some(end) = find(&raw, b"\r\n\r\n") else { continue };
                if !raw.starts_with(b"HTTP/1.1 200") {
                    self.note(|seen| seen.failed_connects += 1);
                    return;
                }
                raw.drain(..end + 4);
                head_done = true;
            }
            if !dechunk(&mut raw, &mut text) {
                return;
            }
            // Every complete message, then what is left moved to the front once.
            let mut done = 0;
            while let Some(end) = text[done..].find("\n\n") {
                let message = &text[done..done + end + 2];
                done += end + 2;
                if self.message(message, started, first) {
                    first = false;
                    if self.slow {
                        return self.hold(stream).await;
                    }
                }
            }
            text.drain(..done);
        }
    }

    /// Notes one SSE message; whether it carried data.
    fn message(&self, message: &str, started: Instant, first: bool) -> bool {
        let now = Instant::now();
        let (mut event, mut has_data, mut retry) = ("", false, None);
        for line in message.lines() {
            if let Some(name) = line.strip_prefix("event: ") {
                event = name;
            } else if line.starts_with("data: ") {
                has_data = true;
            } else if let Some(ms) = line.strip_prefix("retry: ") {
                retry = ms.trim().parse().ok().map(Duration::from_millis);
            }
        }
        // A scan-log message carries every row that arrived since the last one.
        let rows = message.matches("data-scan-id=\"").count();
        let count = if has_data && event != "scan-line" {
            message
                .find(&self.count_anchor)
                .and_then(|at| crate::number_after(&message[at..], self.kind.marker()))
        } else {
            None
        };
        self.note(|seen| {
            if retry.is_some() {
                seen.retry = retry;
            }
            if !has_data {
                return;
            }
            seen.messages += 1;
            seen.bytes += message.len() as u64;
            match event {
                "scan-line" => {
                    seen.log_rows += rows as u64;
                    seen.row_arrivals.extend(std::iter::repeat_n(now, rows));
                }
                "scan-log" => seen.log_redraws += 1,
                _ => {}
            }
            if let Some(count) = count {
                seen.counts.push((now, count));
            }
            if first {
                seen.connects.push((now, now - started));
                seen.streaming_since = Some(now);
            }
        });
        has_data
    }

    /// A client that stopped reading: it keeps its connection open, unread.
    async fn hold(&mut self, stream: TcpStream) {
        let _ = self.commands.wait_for(|c| *c == Command::Finish).await;
        drop(stream);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Moves the complete chunks of `raw` into `text`; false at the last chunk.
fn dechunk(raw: &mut Vec<u8>, text: &mut String) -> bool {
    loop {
        let Some(line_end) = find(raw, b"\r\n") else {
            return true;
        };
        let size = std::str::from_utf8(&raw[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok());
        let Some(size) = size else { return false };
        if size == 0 {
            return false;
        }
        let start = line_end + 2;
        if raw.len() < start + size + 2 {
            return true;
        }
        text.push_str(&String::from_utf8_lossy(&raw[start..start + size]));
        raw.drain(..start + size + 2);
    }
}
