//! Order queries, scoped by the tenant.

use diesel::prelude::*;

use crate::db::schema::{orders, ticket_types, tickets};
use crate::db::{self, DbConnection, Tenant};
use crate::with_backend;

use super::codes;
use crate::dashboard::sales_rollup::{self, SaleLine};

/// Fees the platform keeps, in basis points of the gross (5 %).
pub const FEE_BASIS_POINTS: i64 = 500;

pub struct NewOrder {
    pub event_id: i64,
    pub buyer_name: String,
    pub buyer_email: String,
    /// (ticket type id, quantity)
    pub items: Vec<(i64, i64)>,
    pub created_at: i64,
}

#[derive(Debug)]
pub struct PlacedOrder {
    pub id: i64,
    pub code: String,
    pub ticket_codes: Vec<String>,
}

/// The platform's fee on a gross amount, rounded down to the minor unit. An order's
/// fee is the sum of its lines' fees (one line per ticket type), so each ticket type's
/// fees add up exactly to the orders'.
pub fn fee_for(gross: i64) -> i64 {
    gross * FEE_BASIS_POINTS / 10_000
}

/// A ticket type's price and capacity, locked until the sale commits. SQLite's write
/// transaction already runs one sale at a time; on PostgreSQL the row lock makes
/// concurrent sales of one type (from any instance) check its capacity one after another.
fn ticket_type_for_sale(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    type_id: i64,
) -> QueryResult<Option<(i64, i64)>> {
    let query = ticket_types::table
        .filter(ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(ticket_types::event_id.eq(event_id))
        .filter(ticket_types::id.eq(type_id))
        .select((ticket_types::price, ticket_types::capacity));
    match conn {
        DbConnection::Postgresql(pg) => query.for_update().first(pg).optional(),
        DbConnection::Sqlite(sqlite) => query.first(sqlite).optional(),
    }
}

/// Places a paid order with its tickets, or returns None when a ticket type is unknown
/// for this event or has too few tickets left.
pub fn place_order(conn: &mut DbConnection, tenant: &Tenant, order: &NewOrder) -> QueryResult<Option<PlacedOrder>> {
    let org = tenant.organization_id();
    db::write_transaction(conn, |conn| {
        let mut lines = Vec::new();
        let mut rows = Vec::new();
        let mut rng = rand::rng();
        // Locked in one order (by id), so two orders of the same types cannot deadlock.
        let mut items = order.items.clone();
        items.sort_unstable();
        for (type_id, quantity) in items {
            let Some((price, capacity)) = ticket_type_for_sale(conn, tenant, order.event_id, type_id)? else {
                return Ok(None);
            };
            let sold = sales_rollup::tickets_held(conn, tenant, order.event_id, type_id)?;
            if quantity < 1 || sold + quantity > capacity {
                return Ok(None);
            }
            let line_gross = price * quantity;
            lines.push(SaleLine {
                ticket_type_id: type_id,
                tickets: quantity,
                gross: line_gross,
                fees: fee_for(line_gross),
            });
            rows.extend((0..quantity).map(|_| (type_id, price, codes::ticket_code(&mut rng))));
        }
        let gross = lines.iter().map(|line| line.gross).sum::<i64>();
        let fees = lines.iter().map(|line| line.fees).sum::<i64>();
        let code = codes::order_code(&mut rng);
        let values = (
            orders::organization_id.eq(org),
            orders::event_id.eq(order.event_id),
            orders::code.eq(&code),
            orders::buyer_name.eq(&order.buyer_name),
            orders::buyer_email.eq(order.buyer_email.to_lowercase()),
            orders::status.eq("paid"),
            orders::gross.eq(gross),
            orders::fees.eq(fees),
            orders::net.eq(gross - fees),
            orders::created_at.eq(order.created_at),
        );
        let order_id: i64 = with_backend!(conn, |c| diesel::insert_into(orders::table)
            .values(values)
            .returning(orders::id)
            .get_result(c))?;
        for (type_id, price, ticket_code) in &rows {
            diesel::insert_into(tickets::table)
                .values((
                    tickets::organization_id.eq(org),
                    tickets::event_id.eq(order.event_id),
                    tickets::order_id.eq(order_id),
                    tickets::ticket_type_id.eq(type_id),
                    tickets::code.eq(ticket_code),
                    tickets::status.eq("valid"),
                    tickets::price.eq(price),
                    tickets::created_at.eq(order.created_at),
                ))
                .execute(conn)?;
        }
        for line in &lines {
            sales_rollup::record_sale(conn, tenant, order.event_id, order.created_at, line)?;
        }
        let ticket_codes = rows.into_iter().map(|(_, _, code)| code).collect();
        Ok(Some(PlacedOrder {
            id: order_id,
            code,
            ticket_codes,
        }))
    })
}
