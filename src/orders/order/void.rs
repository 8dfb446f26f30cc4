//! Voiding an order ("cancel tickets without refunding", comps and mistakes): its valid
//! tickets become `cancelled` and are refused at the gates from the commit on, the
//! order becomes `cancelled`, and no money moves: no refund row, `orders.net` and the
//! sales rollup's gross and fees stay, so the dashboard's gross and net do not change.
//! The voided tickets leave the rollup's ticket count, so they are no longer sold or
//! held (their capacity can be sold again) as the dashboard counts them.

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::details::{audit_order, find_order, order_tickets, TicketLine};
use super::refunds::why;
use crate::audit::Action;
use crate::db::schema::{orders, tickets};
use crate::db::{self, DbConnection, Tenant};
use crate::live::{Bus, Channel, Update, UpdateKind};
use crate::orders::model::{OrderStatus, RefundReason, TicketStatus};
use crate::orders::rollup::unsell;

/// A void asked for by a signed-in owner.
pub struct VoidRequest {
    pub user_id: i64,
    pub order_id: i64,
    pub reason: RefundReason,
    /// The owner's words, trimmed, at most `MAX_NOTE_CHARS`; None when left empty.
    pub note: Option<String>,
}

/// Why an order cannot be voided; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VoidRefused {
    #[error("This order is {0}: it has no valid tickets to cancel.")]
    NothingToVoid(OrderStatus),
    #[error("This order changed while it was being cancelled: review it again.")]
    ChangedMeanwhile,
}

/// What the void did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voided {
    pub tickets: usize,
    pub event_id: i64,
}

/// The tickets a void of the order would cancel, or why it cannot be voided.
pub fn plan_void(
    conn: &mut DbConnection,
    tenant: &Tenant,
    order_id: i64,
) -> QueryResult<Result<Vec<TicketLine>, VoidRefused>> {
    let order = find_order(conn, tenant, order_id)?;
    if !order.status.has_valid_tickets() {
        return Ok(Err(VoidRefused::NothingToVoid(order.status)));
    }
    let valid = order_tickets(conn, tenant, order_id)?
        .into_iter()
        .filter(|t| t.status.is_valid())
        .collect();
    Ok(Ok(valid))
}

/// Voids in one transaction (order, tickets, rollup count, audit entry), then publishes
/// the change: the dashboard and the order lists redraw; the gates refuse the tickets.
pub fn void(
    conn: &mut DbConnection,
    bus: &dyn Bus,
    tenant: &Tenant,
    request: &VoidRequest,
) -> QueryResult<Result<Voided, VoidRefused>> {
    let outcome = match db::write_transaction(conn, |conn| void_in_transaction(conn, tenant, request)) {
        // Another void or a refund got there first (it held the rows): nothing changed.
        Err(DieselError::RollbackTransaction) => {
            let now = find_order(conn, tenant, request.order_id)?.status;
            Err(match now.has_valid_tickets() {
                true => VoidRefused::ChangedMeanwhile,
                false => VoidRefused::NothingToVoid(now),
            })
        }
        other => other?,
    };
    if let Ok(voided) = &outcome {
        for channel in [Channel::occupancy(tenant, voided.event_id), Channel::orders(tenant)] {
            bus.publish(Update {
                channel,
                kind: UpdateKind::OrderChanged,
            });
        }
    }
    Ok(outcome)
}

/// Rows are taken in a refund's order (the tickets, then the order), so a void and a
/// refund of one order at once wait for each other instead of deadlocking; whichever
/// finds its rows changed under it rolls back.
fn void_in_transaction(
    conn: &mut DbConnection,
    tenant: &Tenant,
    request: &VoidRequest,
) -> QueryResult<Result<Voided, VoidRefused>> {
    let org = tenant.organization_id();
    let order = find_order(conn, tenant, request.order_id)?;
    let cancelled = match plan_void(conn, tenant, request.order_id)? {
        Ok(tickets) => tickets,
        Err(refused) => return Ok(Err(refused)),
    };
    let ids: Vec<i64> = cancelled.iter().map(|t| t.id).collect();
    let changed = diesel::update(
        tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::order_id.eq(request.order_id))
            .filter(tickets::id.eq_any(&ids))
            .filter(tickets::status.eq(TicketStatus::Valid)),
    )
    .set(tickets::status.eq(TicketStatus::Cancelled))
    .execute(conn)?;
    let claimed = diesel::update(
        orders::table
            .filter(orders::organization_id.eq(org))
            .filter(orders::id.eq(request.order_id))
            .filter(orders::status.eq_any([OrderStatus::Paid, OrderStatus::PartiallyRefunded])),
    )
    .set(orders::status.eq(OrderStatus::Cancelled))
    .execute(conn)?;
    if changed != ids.len() || claimed == 0 {
        return Err(DieselError::RollbackTransaction);
    }
    unsell(conn, tenant, order.event_id, order.created_at, &ids)?;
    let codes: Vec<&str> = cancelled.iter().map(|t| t.code.as_str()).collect();
    let details = format!(
        "cancelled {} ticket(s) without refunding: {}; order is now cancelled; {}",
        codes.len(),
        codes.join(", "),
        why(request.reason, request.note.as_deref()),
    );
    let now = db::now_ms();
    audit_order(
        conn,
        tenant,
        request.user_id,
        request.order_id,
        Action::Void,
        &details,
        now,
    )?;
    let data = serde_json::json!({ "order_id": request.order_id, "code": order.code, "event_id": order.event_id,
        "status": OrderStatus::Cancelled.as_str(), "reason": request.reason.as_str(), "note": request.note, "tickets": codes });
    crate::webhooks::enqueue(conn, tenant, crate::webhooks::EventKind::OrderCancelled, &data, now)?;
    Ok(Ok(Voided {
        tickets: codes.len(),
        event_id: order.event_id,
    }))
}
