//! The sales rollup (`ticket_sales_hourly`: sales per ticket type per hour), written by
//! every sale in the sale's transaction (`sales.rs`). The dashboard only reads it, so a
//! million-ticket event is a few hundred rows there. Refunds are not written to it: the
//! dashboard subtracts them from the refunds table and the refunded tickets. A void
//! (tickets cancelled without refunding) takes its tickets out of their sale's hour and
//! leaves the money: they are no longer sold or held, and gross and fees stay.

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::model::TicketStatus;
use crate::db::schema::ticket_sales_hourly as sales;
use crate::db::schema::tickets;
use crate::db::{sum_of, DbConnection, Tenant};
use crate::with_backend;

pub const HOUR_MS: i64 = 3_600_000;

/// Tickets of one type sold in one order (or in many orders of the same hour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaleLine {
    pub ticket_type_id: i64,
    pub tickets: i64,
    pub gross: i64,
    pub fees: i64,
}

/// The start of the UTC hour `at_ms` falls in.
pub fn hour_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(HOUR_MS) * HOUR_MS
}

/// Adds sold tickets to their hour of the rollup. Call inside the transaction that
/// writes the order.
pub fn record_sale(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    sold_at: i64,
    line: &SaleLine,
) -> QueryResult<()> {
    let values = (
        sales::organization_id.eq(tenant.organization_id()),
        sales::event_id.eq(event_id),
        sales::ticket_type_id.eq(line.ticket_type_id),
        sales::hour_start.eq(hour_of(sold_at)),
        sales::tickets_sold.eq(line.tickets),
        sales::gross.eq(line.gross),
        sales::fees.eq(line.fees),
    );
    with_backend!(conn, |c| diesel::insert_into(sales::table)
        .values(values)
        .on_conflict((
            sales::organization_id,
            sales::event_id,
            sales::ticket_type_id,
            sales::hour_start
        ))
        .do_update()
        .set((
            sales::tickets_sold.eq(sales::tickets_sold + excluded(sales::tickets_sold)),
            sales::gross.eq(sales::gross + excluded(sales::gross)),
            sales::fees.eq(sales::fees + excluded(sales::fees)),
        ))
        .execute(c))?;
    Ok(())
}

/// Takes these tickets (of one order, sold at `sold_at`) out of the rollup's count of
/// their sale's hour, per type, leaving its gross and fees. Call inside the void's
/// transaction.
pub fn unsell(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    sold_at: i64,
    ticket_ids: &[i64],
) -> QueryResult<()> {
    let org = tenant.organization_id();
    let per_type: Vec<(i64, i64)> = tickets::table
        .filter(tickets::organization_id.eq(org))
        .filter(tickets::id.eq_any(ticket_ids))
        .group_by(tickets::ticket_type_id)
        .select((tickets::ticket_type_id, diesel::dsl::count_star()))
        .load(conn)?;
    for (ticket_type_id, count) in per_type {
        diesel::update(
            sales::table
                .filter(sales::organization_id.eq(org))
                .filter(sales::event_id.eq(event_id))
                .filter(sales::ticket_type_id.eq(ticket_type_id))
                .filter(sales::hour_start.eq(hour_of(sold_at))),
        )
        .set(sales::tickets_sold.eq(sales::tickets_sold - count))
        .execute(conn)?;
    }
    Ok(())
}

/// Tickets of a type sold and not refunded: the rollup's count less the refunded tickets
/// (an index range over the refunded ones only), so checking capacity at a sale does not
/// count every ticket of a big event.
pub fn tickets_held(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, ticket_type_id: i64) -> QueryResult<i64> {
    let sold_ever: Option<i64> = sales::table
        .filter(sales::organization_id.eq(tenant.organization_id()))
        .filter(sales::event_id.eq(event_id))
        .filter(sales::ticket_type_id.eq(ticket_type_id))
        .select(sum_of("ticket_sales_hourly.tickets_sold"))
        .first(conn)?;
    let refunded = refunded_of_type(conn, tenant, event_id, ticket_type_id)?;
    Ok(sold_ever.unwrap_or(0) - refunded.tickets)
}

/// Refunded tickets of one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundedTickets {
    pub tickets: i64,
    /// Their prices together.
    pub amount: i64,
}

/// Refunded tickets of a type: how many, and their prices together.
pub fn refunded_of_type(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    ticket_type_id: i64,
) -> QueryResult<RefundedTickets> {
    let (tickets, amount): (i64, Option<i64>) = tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::ticket_type_id.eq(ticket_type_id))
        .filter(tickets::status.eq(TicketStatus::Refunded))
        .select((diesel::dsl::count_star(), sum_of("tickets.price")))
        .first(conn)?;
    Ok(RefundedTickets {
        tickets,
        amount: amount.unwrap_or(0),
    })
}
