//! What a bulk job does to each order, and what became of each, as stored.

use diesel::sql_types::Text;

/// What a job does to each of its orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum BulkAction {
    /// Queue the confirmation e-mail again (`orders::queue_confirmation`).
    Resend,
    /// Refund the whole order (`orders::refund`): owners only.
    Refund,
    /// A CSV of the orders (the export's rows): owners only.
    Export,
}

crate::stored_as_text!(BulkAction);

impl BulkAction {
    pub const ALL: [BulkAction; 3] = [Self::Resend, Self::Refund, Self::Export];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    #[inline]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Resend => "resend",
            Self::Refund => "refund",
            Self::Export => "export",
        }
    }

    #[inline]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Resend => "Resend confirmations",
            Self::Refund => "Refund",
            Self::Export => "Export (CSV)",
        }
    }

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        Self::parse(raw).ok_or_else(|| format!("unknown bulk action {raw:?}"))
    }
}

/// What became of one order of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum Outcome {
    Done,
    /// The order's own rules said no (the reason is stored with it).
    Refused,
    /// The database failed for this order.
    Failed,
    /// The job was cancelled before it reached this order.
    Cancelled,
}

crate::stored_as_text!(Outcome);

impl Outcome {
    #[inline]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Refused => "refused",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        [Self::Done, Self::Refused, Self::Failed, Self::Cancelled]
            .into_iter()
            .find(|o| o.as_str() == raw)
            .ok_or_else(|| format!("unknown bulk outcome {raw:?}"))
    }
}
