//! What a bulk job is: its action, the orders it names, each order's outcome and the
//! job's progress, with the limits on its size. Plain data; stored as text.

pub use crate::domain::{BulkAction, Outcome};

/// One bulk job's channel: its progress, to its job page.
pub fn job_channel(tenant: &crate::db::Tenant, job_id: i64) -> crate::live::Channel {
    crate::live::Channel::of_thing(tenant, "bulk-jobs", "job", job_id)
}

/// What starting a job takes (money, or every ticket code, for all but resends).
pub fn permission_for(action: BulkAction) -> crate::auth::Permission {
    use crate::auth::Permission;
    match action {
        BulkAction::Resend => Permission::ResendConfirmation,
        BulkAction::Refund => Permission::RefundOrders,
        BulkAction::Export => Permission::ExportOrders,
    }
}

use crate::orders::model::RefundReason;

/// Orders one job may name at most (its selection, or all orders matching a filter).
pub const MAX_JOB_ORDERS: i64 = 10_000;
/// Order ids one form may list (checked rows); more is a "matching this filter" job.
pub const MAX_SELECTED_IDS: usize = 500;
/// Longest job key a form may send.
pub const MAX_JOB_KEY_CHARS: usize = 100;
/// Refused orders a job page lists; the rest are counted.
pub const REFUSALS_SHOWN: i64 = 200;

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
        assert!(!Role::Supervisor.may(permission_for(BulkAction::Refund)));
        assert!(Role::Supervisor.may(permission_for(BulkAction::Resend)));
        assert_eq!(permission_for(BulkAction::Export), Permission::ExportOrders);
    }
}
