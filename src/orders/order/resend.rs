//! Resending an order's confirmation e-mail (its valid tickets) through the outbox: at
//! most once a minute per order and `RESENDS_PER_USER` times per 10 minutes per user
//! (bulk jobs included, but for the roles with `ResendBeyondUserLimit`), so a signed-in
//! account cannot turn the outbox into a mail cannon.

use diesel::prelude::*;

use super::details::{audit_order, find_order, order_tickets, Order, TicketLine};
use crate::audit::{self, Action};
use crate::db::schema::events;
use crate::db::{self, DbConnection, Tenant};
use crate::orders::model::OrderStatus;
use crate::orders::outbox::{self, NewEmail};

/// At most one resend per order in this window.
pub const RESEND_WINDOW_MS: i64 = 60_000;
/// At most this many resends by one user (of any orders) per `USER_RESEND_WINDOW_MS`.
pub const RESENDS_PER_USER: i64 = 10;
pub const USER_RESEND_WINDOW_MS: i64 = 10 * 60_000;

/// Why a resend was not queued.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResendRefused {
    #[error("A confirmation e-mail for this order was queued less than a minute ago: try again in {0} s.")]
    TooSoon(i64),
    #[error("You have resent {0} confirmations in the last 10 minutes: wait a few minutes and try again.")]
    TooManyByUser(i64),
    #[error("This order is {0}: it has no tickets to confirm.")]
    NothingToConfirm(OrderStatus),
}

/// Who asks for a resend: the order page's button, or a bulk job. Every rule holds for
/// both, but a job made by a role with `ResendBeyondUserLimit` (owners, finance) is
/// held by its size instead of the per-user count, which would stop it after ten orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResendOrigin {
    OrderPage,
    BulkJob {
        job: i64,
        /// Whether the job's resends count against its maker's per-user limit.
        counted: bool,
    },
}

/// Queues the order's confirmation e-mail again, unless one of the limits says no.
pub fn queue_confirmation(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user_id: i64,
    order_id: i64,
) -> QueryResult<Result<(), ResendRefused>> {
    queue_confirmation_from(conn, tenant, user_id, order_id, ResendOrigin::OrderPage)
}

/// `queue_confirmation` for `origin`; a bulk job's audit entry names the job. Nests in
/// a caller's transaction (a bulk job's chunk) as a savepoint.
pub fn queue_confirmation_from(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user_id: i64,
    order_id: i64,
    origin: ResendOrigin,
) -> QueryResult<Result<(), ResendRefused>> {
    db::write_transaction(conn, |conn| {
        let now = db::now_ms();
        let order = find_order(conn, tenant, order_id)?;
        if let Err(refused) = may_resend(conn, tenant, user_id, &order, origin, now)? {
            return Ok(Err(refused));
        }
        let event: String = events::table
            .filter(events::organization_id.eq(tenant.organization_id()))
            .filter(events::id.eq(order.event_id))
            .select(events::name)
            .first(conn)?;
        let tickets = order_tickets(conn, tenant, order_id)?;
        let email = NewEmail {
            order_id,
            recipient: &order.buyer_email,
            subject: format!("Your tickets for {event} (order {})", order.code),
            body: confirmation_body(&order, &event, &tickets),
        };
        outbox::enqueue(conn, tenant, email, now)?;
        let mut details = format!("confirmation e-mail queued to {}", order.buyer_email);
        if let ResendOrigin::BulkJob { job, .. } = origin {
            details.push_str(&format!(" (bulk job {job})"));
        }
        audit_order(
            conn,
            tenant,
            user_id,
            order_id,
            Action::ResendConfirmation,
            &details,
            now,
        )?;
        Ok(Ok(()))
    })
}

/// The limits on resending, checked in the resend's transaction.
fn may_resend(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user_id: i64,
    order: &Order,
    origin: ResendOrigin,
    now: i64,
) -> QueryResult<Result<(), ResendRefused>> {
    if !order.status.can_resend_confirmation() {
        return Ok(Err(ResendRefused::NothingToConfirm(order.status)));
    }
    let by_user = match origin {
        ResendOrigin::OrderPage | ResendOrigin::BulkJob { counted: true, .. } => {
            by_user_count(conn, tenant, user_id, now)?
        }
        ResendOrigin::BulkJob { counted: false, .. } => 0,
    };
    if by_user >= RESENDS_PER_USER {
        return Ok(Err(ResendRefused::TooManyByUser(by_user)));
    }
    let last = outbox::last_queued_for_order(conn, tenant, order.id)?;
    if let Some(last) = last.filter(|last| now - last < RESEND_WINDOW_MS) {
        let wait = (RESEND_WINDOW_MS - (now - last) + 999) / 1000;
        return Ok(Err(ResendRefused::TooSoon(wait)));
    }
    Ok(Ok(()))
}

/// Resends by the user in the last `USER_RESEND_WINDOW_MS`.
fn by_user_count(conn: &mut DbConnection, tenant: &Tenant, user_id: i64, now: i64) -> QueryResult<i64> {
    audit::count_by_user_since(
        conn,
        tenant,
        user_id,
        Action::ResendConfirmation,
        now - USER_RESEND_WINDOW_MS,
    )
}

/// The e-mail's text: the valid tickets, by type and code.
fn confirmation_body(order: &Order, event: &str, tickets: &[TicketLine]) -> String {
    let mut body = format!(
        "Hello {},\n\nThank you for your order {} for {event}.\n\nYour tickets:\n",
        order.buyer_name, order.code
    );
    for ticket in tickets.iter().filter(|t| t.status.is_valid()) {
        body.push_str(&format!("  {}  {}\n", ticket.ticket_type, ticket.code));
    }
    body.push_str("\nShow a ticket's code at the gate.\n");
    body
}
