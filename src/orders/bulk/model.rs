//! What a bulk job is: its action, the orders it names, each order's outcome and the
//! job's progress, with the limits on its size. Plain data; stored as text.

use diesel::sql_types::Text;

use crate::orders::model::RefundReason;

/// Orders one job may name at most (its selection, or all orders matching a filter).
pub const MAX_JOB_ORDERS: i64 = 10_000;
/// Order ids one form may list (checked rows); more is a "matching this filter" job.
pub const MAX_SELECTED_IDS: usize = 500;
/// Longest job key a form may send.
pub const MAX_JOB_KEY_CHARS: usize = 100;
/// Refused orders a job page lists; the rest are counted.
pub const REFUSALS_SHOWN: i64 = 200;

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

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Resend => "resend",
            Self::Refund => "refund",
            Self::Export => "export",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::Resend => "Resend confirmations",
            Self::Refund => "Refund",
            Self::Export => "Export (CSV)",
        }
    }

    /// What starting it takes (money, or every ticket code, for all but resends).
    pub fn permission(&self) -> crate::auth::Permission {
        use crate::auth::Permission;
        match self {
            Self::Resend => Permission::ResendConfirmation,
            Self::Refund => Permission::RefundOrders,
            Self::Export => Permission::ExportOrders,
        }
    }

    fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    fn from_stored(raw: &str) -> Result<Self, String> {
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
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Refused => "refused",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    fn from_stored(raw: &str) -> Result<Self, String> {
        [Self::Done, Self::Refused, Self::Failed, Self::Cancelled]
            .into_iter()
            .find(|o| o.as_str() == raw)
            .ok_or_else(|| format!("unknown bulk outcome {raw:?}"))
    }
}

/// Why an order named by a form is not the organisation's: the same words for an id of
/// another organisation and one that does not exist.
pub const NO_SUCH_ORDER: &str = "no such order";

/// A job to create: who asks, what, and the orders named (in processing order).
#[derive(Clone, Debug)]
pub struct NewJob {
    pub user_id: i64,
    /// The maker's events: an order named of any other event is stored refused as no
    /// such order, exactly as another organisation's.
    pub events: crate::auth::EventScope,
    pub job_key: String,
    pub action: BulkAction,
    pub refund: Option<RefundNote>,
    pub order_ids: Vec<i64>,
}

/// Why a bulk refund is made, carried to every refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundNote {
    pub reason: RefundReason,
    pub note: Option<String>,
}

/// A job as its page and its runner see it.
#[derive(Clone, Debug, diesel::Queryable)]
pub struct Job {
    pub id: i64,
    pub organization_id: i64,
    pub user_id: i64,
    pub action: BulkAction,
    pub refund_reason: Option<RefundReason>,
    pub refund_note: Option<String>,
    pub total: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// How far a job is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: i64,
    pub done: i64,
    pub refused: i64,
    pub failed: i64,
    /// Orders left when the job was cancelled.
    pub cancelled: i64,
    pub finished: bool,
}

impl Progress {
    pub fn processed(&self) -> i64 {
        self.done + self.refused + self.failed + self.cancelled
    }

    /// Whole per cent processed: 100 only when every order is.
    pub fn percent(&self) -> i64 {
        match self.total {
            0 => 100,
            total => self.processed() * 100 / total,
        }
    }
}

/// One refused (or failed) order on the job page: its code when it is the
/// organisation's, else only the id the form named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub order_id: i64,
    pub code: Option<String>,
    pub outcome: Outcome,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_every_processed_order_and_reaches_100_only_at_the_end() {
        let mut progress = Progress {
            total: 3,
            done: 1,
            refused: 1,
            ..Progress::default()
        };
        assert_eq!((progress.processed(), progress.percent()), (2, 66));
        progress.failed = 1;
        assert_eq!(progress.percent(), 100);
    }

    #[test]
    fn actions_read_back_what_they_store() {
        for action in BulkAction::ALL {
            assert_eq!(BulkAction::parse(action.as_str()), Some(action));
        }
        use crate::auth::{Permission, Role};
        assert!(!Role::Supervisor.may(BulkAction::Refund.permission()));
        assert!(Role::Supervisor.may(BulkAction::Resend.permission()));
        assert_eq!(BulkAction::Export.permission(), Permission::ExportOrders);
    }
}
