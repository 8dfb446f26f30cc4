//! Refunds: whole orders or chosen tickets, amounts computed here, once per
//! idempotency key. Money semantics (the dashboard relies on them): a refund returns the
//! prices of the refunded tickets; platform fees stay in `orders.fees`; `orders.net` is
//! gross − fees − everything refunded; the order becomes `refunded` when no valid ticket
//! is left, else `partially_refunded`.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::details::{audit_order, find_order, order_tickets, TicketLine};
use crate::audit::Action;
use crate::db::schema::{orders, refunds, tickets};
use crate::db::{self, DbConnection, Tenant};
use crate::live::{Bus, Channel, Update, UpdateKind};
use crate::orders::model::{refund_amount, OrderStatus, RefundReason, TicketStatus};

/// Longest idempotency key a form may send.
pub const MAX_KEY_CHARS: usize = 100;

/// What to refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundScope {
    /// Every ticket still valid.
    WholeOrder,
    /// These tickets of the order (ids).
    Tickets(Vec<i64>),
}

/// What a refund would return, computed on the server: shown on the confirmation step.
#[derive(Clone, Debug)]
pub struct RefundPlan {
    pub tickets: Vec<TicketLine>,
    pub amount: i64,
}

/// Why a refund cannot happen; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefundRefused {
    #[error("This order is {0}: there is nothing to refund.")]
    NotRefundable(OrderStatus),
    #[error("Choose at least one ticket to refund.")]
    NothingChosen,
    #[error("A chosen ticket is not a valid ticket of this order (already refunded, or another order's).")]
    NotAValidTicket,
    #[error("The amount to refund changed since it was shown ({shown} then, {now} now): review it again.")]
    AmountChanged { shown: i64, now: i64 },
    #[error("This refund key was already used for another order.")]
    KeyUsedElsewhere,
}

/// What the refund did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundOutcome {
    Refunded {
        amount: i64,
        order_status: OrderStatus,
        event_id: i64,
    },
    /// The same idempotency key was seen before for this order: nothing new happened.
    AlreadyDone,
}

/// The tickets and amount `scope` stands for, or why it cannot be refunded.
pub fn plan_refund(
    conn: &mut DbConnection,
    tenant: &Tenant,
    order_id: i64,
    scope: &RefundScope,
) -> QueryResult<Result<RefundPlan, RefundRefused>> {
    let order = find_order(conn, tenant, order_id)?;
    if !order.status.is_refundable() {
        return Ok(Err(RefundRefused::NotRefundable(order.status)));
    }
    let valid: Vec<TicketLine> = order_tickets(conn, tenant, order_id)?
        .into_iter()
        .filter(|t| t.status.is_valid())
        .collect();
    let chosen: Vec<TicketLine> = match scope {
        RefundScope::WholeOrder => valid,
        RefundScope::Tickets(ids) => {
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            let chosen: Vec<TicketLine> = valid.into_iter().filter(|t| ids.contains(&t.id)).collect();
            if chosen.len() != ids.len() {
                return Ok(Err(RefundRefused::NotAValidTicket));
            }
            chosen
        }
    };
    if chosen.is_empty() {
        return Ok(Err(RefundRefused::NothingChosen));
    }
    let amount = refund_amount(chosen.iter().map(|t| t.price));
    Ok(Ok(RefundPlan {
        tickets: chosen,
        amount,
    }))
}

/// A refund asked for by a signed-in owner.
pub struct RefundRequest {
    pub user_id: i64,
    pub order_id: i64,
    pub scope: RefundScope,
    pub idempotency_key: String,
    /// The amount the confirmation step showed; refused when it no longer holds.
    pub shown_amount: Option<i64>,
    pub reason: RefundReason,
    /// The owner's words, trimmed, at most `MAX_NOTE_CHARS`; None when left empty.
    pub note: Option<String>,
}

/// Refunds in one transaction (tickets, refund row, order status and net, audit entry),
/// then publishes the change: the event's dashboard and the order list redraw, and the
/// gates refuse the refunded tickets from the commit on.
pub fn refund(
    conn: &mut DbConnection,
    bus: &dyn Bus,
    tenant: &Tenant,
    request: &RefundRequest,
) -> QueryResult<Result<RefundOutcome, RefundRefused>> {
    let outcome = commit_refund(conn, tenant, request)?;
    if let Ok(RefundOutcome::Refunded { event_id, .. }) = outcome {
        bus.publish(Update {
            channel: Channel::occupancy(tenant, event_id),
            kind: UpdateKind::OrderChanged,
        });
        bus.publish(Update {
            channel: Channel::orders(tenant),
            kind: UpdateKind::OrderChanged,
        });
    }
    Ok(outcome)
}

/// The commit of `refund`, once per idempotency key.
fn commit_refund(
    conn: &mut DbConnection,
    tenant: &Tenant,
    request: &RefundRequest,
) -> QueryResult<Result<RefundOutcome, RefundRefused>> {
    let attempt = db::write_transaction(conn, |conn| refund_in_transaction(conn, tenant, request));
    let refused = match attempt {
        Ok(Err(refused)) => refused,
        // Two requests raced on PostgreSQL: the same key inserted twice, or the tickets
        // refunded under this one. Said below which of the two requests this was.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => RefundRefused::KeyUsedElsewhere,
        Err(DieselError::RollbackTransaction) => RefundRefused::NotAValidTicket,
        other => return other,
    };
    // A refusal may come from losing a race against the same form submitted twice: when
    // this key has refunded this order meanwhile, the refund is done, not refused.
    Ok(earlier_refund(conn, tenant, request)?.unwrap_or(Err(refused)))
}

fn refund_in_transaction(
    conn: &mut DbConnection,
    tenant: &Tenant,
    request: &RefundRequest,
) -> QueryResult<Result<RefundOutcome, RefundRefused>> {
    let org = tenant.organization_id();
    if let Some(earlier) = earlier_refund(conn, tenant, request)? {
        return Ok(earlier);
    }
    let plan = match plan_refund(conn, tenant, request.order_id, &request.scope)? {
        Ok(plan) => plan,
        Err(refused) => return Ok(Err(refused)),
    };
    if let Some(shown) = request.shown_amount {
        if shown != plan.amount {
            return Ok(Err(RefundRefused::AmountChanged {
                shown,
                now: plan.amount,
            }));
        }
    }
    let now = db::now_ms();
    let ids: Vec<i64> = plan.tickets.iter().map(|t| t.id).collect();
    let changed = diesel::update(
        tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::order_id.eq(request.order_id))
            .filter(tickets::id.eq_any(&ids))
            .filter(tickets::status.eq(TicketStatus::Valid)),
    )
    .set(tickets::status.eq(TicketStatus::Refunded))
    .execute(conn)?;
    if changed != ids.len() {
        return Err(DieselError::RollbackTransaction);
    }
    diesel::insert_into(refunds::table)
        .values((
            refunds::organization_id.eq(org),
            refunds::order_id.eq(request.order_id),
            refunds::amount.eq(plan.amount),
            refunds::idempotency_key.eq(&request.idempotency_key),
            refunds::user_id.eq(request.user_id),
            refunds::created_at.eq(now),
            refunds::reason.eq(request.reason),
            refunds::note.eq(&request.note),
        ))
        .execute(conn)?;
    let still_valid: i64 = tickets::table
        .filter(tickets::organization_id.eq(org))
        .filter(tickets::order_id.eq(request.order_id))
        .filter(tickets::status.eq(TicketStatus::Valid))
        .count()
        .get_result(conn)?;
    let status = OrderStatus::after_refund(still_valid);
    let order = find_order(conn, tenant, request.order_id)?;
    diesel::update(
        orders::table
            .filter(orders::organization_id.eq(org))
            .filter(orders::id.eq(request.order_id)),
    )
    .set((orders::status.eq(status), orders::net.eq(order.net - plan.amount)))
    .execute(conn)?;
    let codes: Vec<&str> = plan.tickets.iter().map(|t| t.code.as_str()).collect();
    let details = format!(
        "refunded {} ticket(s) for {} minor units: {}; order is now {}; {}",
        codes.len(),
        plan.amount,
        codes.join(", "),
        status.label(),
        why(request.reason, request.note.as_deref()),
    );
    audit_order(
        conn,
        tenant,
        request.user_id,
        request.order_id,
        Action::Refund,
        &details,
        now,
    )?;
    let data = serde_json::json!({ "order_id": request.order_id, "code": order.code, "event_id": order.event_id,
        "status": status.as_str(), "amount": plan.amount, "net": order.net - plan.amount, "tickets": codes,
        "reason": request.reason.as_str(), "note": request.note });
    crate::webhooks::enqueue(conn, tenant, crate::webhooks::EventKind::OrderRefunded, &data, now)?;
    Ok(Ok(RefundOutcome::Refunded {
        amount: plan.amount,
        order_status: status,
        event_id: order.event_id,
    }))
}

/// The reason and note as the audit log says them: `reason: Fraud; note: "…"`.
pub fn why(reason: RefundReason, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("reason: {}; note: {note:?}", reason.label()),
        None => format!("reason: {}", reason.label()),
    }
}

/// What an earlier use of this idempotency key means: `AlreadyDone` when it refunded
/// this order, refused when it refunded another one, None when it is new. One statement,
/// so a concurrent identical request is seen consistently.
fn earlier_refund(
    conn: &mut DbConnection,
    tenant: &Tenant,
    request: &RefundRequest,
) -> QueryResult<Option<Result<RefundOutcome, RefundRefused>>> {
    let refunded_order: Option<i64> = refunds::table
        .filter(refunds::organization_id.eq(tenant.organization_id()))
        .filter(refunds::idempotency_key.eq(&request.idempotency_key))
        .select(refunds::order_id)
        .first(conn)
        .optional()?;
    Ok(refunded_order.map(|order_id| {
        if order_id == request.order_id {
            Ok(RefundOutcome::AlreadyDone)
        } else {
            Err(RefundRefused::KeyUsedElsewhere)
        }
    }))
}
