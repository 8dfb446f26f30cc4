//! Where e-mails go: an SMTP server (`--smtp`), or a log file in demo mode and on servers
//! without one; and what one delivery attempt came to.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::queue::OutgoingEmail;
use crate::lease_queue::Attempt;

/// Where e-mails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    /// Demo mode and servers without `--smtp`: appended to a file (when given) and logged.
    Log { file: Option<PathBuf> },
}

impl Mailer {
    /// An SMTP mailer from a URL: `smtp://host:port` (plain), `smtp://…?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host:465` (TLS).
    pub fn smtp(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("invalid --smtp URL: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid sender address {from}: {e}"))?;
        Ok(Self::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    pub(super) async fn deliver(&self, message: &OutgoingEmail) -> Attempt {
        match self {
            Self::Smtp { transport, from } => {
                let to: Mailbox = match message.recipient.parse() {
                    Ok(to) => to,
                    Err(e) => return Attempt::Permanent(format!("invalid recipient address: {e}")),
                };
                let email = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(message.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(message.body.clone());
                let email = match email {
                    Ok(email) => email,
                    Err(e) => return Attempt::Permanent(format!("cannot build the message: {e}")),
                };
                match transport.send(email).await {
                    Ok(_) => Attempt::Sent,
                    Err(e) if e.is_permanent() => Attempt::Permanent(e.to_string()),
                    Err(e) => Attempt::Transient(e.to_string()),
                }
            }
            Self::Log { file } => {
                tracing::info!(to = %message.recipient, subject = %message.subject, "e-mail delivered to the log");
                let Some(path) = file else { return Attempt::Sent };
                let entry = format!(
                    "To: {}\nSubject: {}\n\n{}\n----\n",
                    message.recipient, message.subject, message.body
                );
                let written = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut file| file.write_all(entry.as_bytes()));
                match written {
                    Ok(()) => Attempt::Sent,
                    Err(e) => Attempt::Transient(format!("cannot write {}: {e}", path.display())),
                }
            }
        }
    }
}
