//! A tiny SMTP server for the outbox tests: it speaks just enough of RFC 5321 for a real
//! client (lettre) to deliver a message, or refuses the way real servers do.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// Takes every message.
    Accept,
    /// Greets every connection with `421` (try again later) and hangs up.
    Busy,
    /// Busy for the first N connections, then accepts.
    BusyThenAccept(usize),
    /// Rejects the recipient with `550` (a permanent refusal).
    RejectRecipient,
    /// Takes every message, but answers the end of its DATA only after this long.
    Slow(std::time::Duration),
}

#[derive(Clone)]
pub struct SmtpServer {
    pub url: String,
    /// The DATA of every accepted message.
    pub messages: Arc<Mutex<Vec<String>>>,
    /// When each connection arrived.
    pub connections: Arc<Mutex<Vec<Instant>>>,
}

impl SmtpServer {
    pub async fn start(behaviour: Behaviour) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let server = SmtpServer {
            url,
            messages: Arc::default(),
            connections: Arc::default(),
        };
        let shared = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let n = {
                    let mut connections = shared.connections.lock().unwrap();
                    connections.push(Instant::now());
                    connections.len()
                };
                let messages = shared.messages.clone();
                tokio::spawn(async move {
                    let _ = converse(socket, behaviour, n, messages).await;
                });
            }
        });
        server
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }

    pub fn connection_times(&self) -> Vec<Instant> {
        self.connections.lock().unwrap().clone()
    }
}

async fn converse(
    socket: tokio::net::TcpStream,
    behaviour: Behaviour,
    connection: usize,
    messages: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let busy = match behaviour {
        Behaviour::Busy => true,
        Behaviour::BusyThenAccept(n) => connection <= n,
        _ => false,
    };
    if busy {
        write
            .write_all(b"421 4.3.2 test server busy, try again later\r\n")
            .await?;
        return Ok(());
    }
    write.write_all(b"220 test.smtp ESMTP ready\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250-test.smtp\r\n250 8BITMIME\r\n",
            "RCPT" if matches!(behaviour, Behaviour::RejectRecipient) => b"550 5.1.1 no such mailbox here\r\n",
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(&line);
                }
                if let Behaviour::Slow(delay) = behaviour {
                    tokio::time::sleep(delay).await;
                }
                messages.lock().unwrap().push(data);
                b"250 2.0.0 queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => b"250 2.0.0 ok\r\n",
        };
        write.write_all(answer).await?;
    }
}
