//! The seeded tickets afterwards: which codes a load generator may scan, and a crowd
//! already inside. Bulk seeds write tickets in their thousands, so these work on the
//! event's tickets as a set rather than one scan at a time.

use diesel::prelude::*;

use crate::db::schema::tickets;
use crate::db::{DbConnection, Tenant};
use crate::orders::TicketStatus;

/// Which of an event's ticket codes to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codes {
    /// Every ticket, refunded and cancelled ones too (the gates refuse those).
    Every,
    /// Valid tickets.
    Valid,
    /// Valid tickets nobody has let in yet: scanning one in is admitted.
    ValidOutside,
}

/// The event's ticket codes of one kind, in id order (so a seeded fixture hands out the
/// same codes every run), at most `limit`.
pub fn ticket_codes(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    which: Codes,
    limit: Option<i64>,
) -> QueryResult<Vec<String>> {
    let mut query = tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::event_id.eq(event_id))
        .select(tickets::code)
        .order(tickets::id)
        .into_boxed();
    if which != Codes::Every {
        query = query.filter(tickets::status.eq(TicketStatus::Valid));
    }
    if which == Codes::ValidOutside {
        query = query.filter(tickets::inside_since.is_null());
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    query.load(conn)
}

/// Lets every `n`th valid ticket of the event (by id) in, since the moment it was bought:
/// a crowd inside without a scan history, as a seed (the live counters are rebuilt from
/// `inside_since` at start-up). Returns how many.
pub fn let_in_every_nth(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, n: i64) -> QueryResult<usize> {
    // An integer, so nothing to escape; diesel has no `%` operator to build it from.
    let every_nth = diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("tickets.id % {} = 0", n.max(1)));
    diesel::update(
        tickets::table
            .filter(tickets::organization_id.eq(tenant.organization_id()))
            .filter(tickets::event_id.eq(event_id))
            .filter(tickets::status.eq(TicketStatus::Valid))
            .filter(every_nth),
    )
    .set(tickets::inside_since.eq(tickets::created_at.nullable()))
    .execute(conn)
}
