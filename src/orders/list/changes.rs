//! Which orders changed what their list row shows since a live list last looked: the
//! refunds and voids in the audit log, which every such change writes in its own
//! transaction (`orders::refund`, `orders::void`, and the bulk jobs through them). Both
//! reads are ranges of the (organization_id, action, id) index.

use diesel::prelude::*;

use crate::audit::{Action, Subject};
use crate::db::schema::audit_log;
use crate::db::{DbConnection, Tenant};

/// The audited actions that change an order's row: its status and what it shows.
const ROW_CHANGES: [Action; 2] = [Action::Refund, Action::Void];

/// Changed orders pushed per look at most (the newest changes win): a live list is
/// redrawn a row at a time, and a bulk job's burst must not become one huge push.
pub const CHANGES_PER_LOOK: i64 = 200;

fn row_changes() -> [&'static str; 2] {
    ROW_CHANGES.map(|a| a.as_str())
}

/// The newest change to any of the tenant's order rows (0: none yet). One `max` per
/// action, each the end of one index range, so neither backend walks the range.
pub fn newest_change_id(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<i64> {
    let mut newest = 0;
    for action in row_changes() {
        let of_action: Option<i64> = audit_log::table
            .filter(audit_log::organization_id.eq(tenant.organization_id()))
            .filter(audit_log::action.eq(action))
            .select(diesel::dsl::max(audit_log::id))
            .first(conn)?;
        newest = newest.max(of_action.unwrap_or(0));
    }
    Ok(newest)
}

/// Orders whose rows changed after the change `after`.
#[derive(Clone, Debug, Default)]
pub struct ChangedOrders {
    /// Each once, most recently changed first.
    pub order_ids: Vec<i64>,
    /// The newest change looked at: the next look starts after it.
    pub looked_at: i64,
}

/// The orders changed after `after`, newest changes first, at most `CHANGES_PER_LOOK`.
pub fn orders_changed_since(conn: &mut DbConnection, tenant: &Tenant, after: i64) -> QueryResult<ChangedOrders> {
    let changes: Vec<(i64, i64)> = audit_log::table
        .filter(audit_log::organization_id.eq(tenant.organization_id()))
        .filter(audit_log::action.eq_any(row_changes()))
        .filter(audit_log::id.gt(after))
        .filter(audit_log::subject_type.eq(Subject::ORDER_TYPE))
        .order(audit_log::id.desc())
        .limit(CHANGES_PER_LOOK)
        .select((audit_log::id, audit_log::subject_id))
        .load(conn)?;
    let mut order_ids: Vec<i64> = Vec::with_capacity(changes.len());
    for &(_, order) in &changes {
        if !order_ids.contains(&order) {
            order_ids.push(order);
        }
    }
    Ok(ChangedOrders {
        order_ids,
        looked_at: changes.first().map_or(after, |(id, _)| *id),
    })
}
