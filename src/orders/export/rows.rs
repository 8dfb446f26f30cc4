//! The export's CSV rows: one per ticket, with the order's refund reasons and notes.

use std::collections::HashMap;

use chrono::TimeZone as _;
use diesel::prelude::*;

use crate::db::schema::{refunds, ticket_types, tickets};
use crate::db::{DbConnection, Tenant};
use crate::events::TimeZone;
use crate::orders::list::{EventLabel, OrderSummary};
use crate::orders::model::{RefundReason, TicketStatus};

pub const HEADER: [&str; 13] = [
    "order_code",
    "order_created_at",
    "order_status",
    "buyer_name",
    "buyer_email",
    "event",
    "ticket_code",
    "ticket_type",
    "ticket_status",
    "ticket_price",
    "currency",
    "refund_reason",
    "refund_note",
];

/// One keyset page of the export: its orders, their tickets and their refunds.
pub struct Page<'a> {
    pub orders: &'a [OrderSummary],
    pub tickets: &'a [ExportTicket],
    pub refunds: &'a [ExportRefund],
}

impl Page<'_> {
    /// The page as CSV rows, a row per ticket. An order refunded more than once lists
    /// each refund's reason (stored form) and note, oldest first, separated by "; ".
    pub fn csv(&self, events: &HashMap<i64, EventLabel>, timezone: TimeZone) -> anyhow::Result<Vec<u8>> {
        let mut by_order: HashMap<i64, Vec<&ExportTicket>> = HashMap::new();
        for ticket in self.tickets {
            by_order.entry(ticket.order_id).or_default().push(ticket);
        }
        let mut why: HashMap<i64, (Vec<&str>, Vec<&str>)> = HashMap::new();
        for refund in self.refunds {
            let (reasons, notes) = why.entry(refund.order_id).or_default();
            reasons.push(refund.reason.as_str());
            notes.extend(refund.note.as_deref());
        }
        let mut csv = csv::Writer::from_writer(Vec::with_capacity(256 * 1024));
        for order in self.orders {
            let (event, currency) = events
                .get(&order.event_id)
                .map_or(("", ""), |e| (e.name.as_str(), e.currency.as_str()));
            let created = timezone
                .timestamp_millis_opt(order.created_at)
                .single()
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            let (reasons, notes) = why
                .get(&order.id)
                .map(|(r, n)| (r.join("; "), cell(&n.join("; "))))
                .unwrap_or_default();
            for ticket in by_order.get(&order.id).map(Vec::as_slice).unwrap_or_default() {
                csv.write_record([
                    order.code.as_str(),
                    &created,
                    order.status.as_str(),
                    &cell(&order.buyer_name),
                    &cell(&order.buyer_email),
                    &cell(event),
                    &ticket.code,
                    &cell(&ticket.ticket_type),
                    ticket.status.as_str(),
                    &decimal(ticket.price),
                    currency,
                    &reasons,
                    &notes,
                ])?;
            }
        }
        Ok(csv.into_inner()?)
    }
}

/// A cell a spreadsheet would read as a formula gets a leading apostrophe.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Minor units as a decimal amount: 4550 → "45.50".
fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100)
}

#[derive(Queryable)]
pub struct ExportTicket {
    order_id: i64,
    code: String,
    ticket_type: String,
    status: TicketStatus,
    price: i64,
}

pub fn tickets_of(conn: &mut DbConnection, tenant: &Tenant, order_ids: &[i64]) -> QueryResult<Vec<ExportTicket>> {
    tickets::table
        .inner_join(ticket_types::table)
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::order_id.eq_any(order_ids))
        .order(tickets::id)
        .select((
            tickets::order_id,
            tickets::code,
            ticket_types::name,
            tickets::status,
            tickets::price,
        ))
        .load(conn)
}

#[derive(Queryable)]
pub struct ExportRefund {
    order_id: i64,
    reason: RefundReason,
    note: Option<String>,
}

/// The refunds of the page's refunded and partially refunded orders, oldest first.
pub fn refund_reasons(
    conn: &mut DbConnection,
    tenant: &Tenant,
    orders: &[OrderSummary],
) -> QueryResult<Vec<ExportRefund>> {
    let refunded: Vec<i64> = orders
        .iter()
        .filter(|o| o.status.was_refunded())
        .map(|o| o.id)
        .collect();
    if refunded.is_empty() {
        return Ok(Vec::new());
    }
    refunds::table
        .filter(refunds::organization_id.eq(tenant.organization_id()))
        .filter(refunds::order_id.eq_any(&refunded))
        .order(refunds::id)
        .select((refunds::order_id, refunds::reason, refunds::note))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_amounts_are_decimal() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("Anna"), "Anna");
        assert_eq!(decimal(4550), "45.50");
        assert_eq!(decimal(5), "0.05");
    }
}
