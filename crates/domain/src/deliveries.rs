//! Where an outbox's message stands, as stored (`order_emails.status`,
//! `webhook_deliveries.status`); both outboxes share the lease-queue machinery.

use diesel::sql_types::Text;

/// Where a message in an outbox (an e-mail, a webhook delivery) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum DeliveryStatus {
    /// Waiting for (another) delivery attempt.
    Queued,
    Sent,
    /// Given up on: a permanent failure, or out of attempts.
    Failed,
}

crate::stored_as_text!(DeliveryStatus);

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [Self::Queued, Self::Sent, Self::Failed];

    #[inline]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| format!("unknown delivery status {raw:?}"))
    }
}
