//! Selling tickets: `sell` commits a paid order, its tickets and the sales rollup in one
//! transaction and then publishes what changed (`TicketSold` on the event's occupancy
//! channel, `OrderChanged` on the organisation's orders channel); the `order.paid` webhook
//! is queued in the order's transaction. The demo's simulator,
//! the benchmarks and the seeds all sell through here.

use diesel::prelude::*;

use super::codes;
use super::model::{fee_for, net_of, OrderStatus, TicketStatus};
use super::rollup::{record_sale, tickets_held, SaleLine};
use crate::db::schema::{orders, ticket_types, tickets};
use crate::db::{self, DbConnection, Tenant};
use crate::live::{Bus, Channel, Update, UpdateKind};
use crate::{webhooks, with_backend};

/// Tickets of one type in an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OrderItem {
    pub ticket_type_id: i64,
    pub quantity: i64,
}

impl OrderItem {
    pub fn new(ticket_type_id: i64, quantity: i64) -> Self {
        Self {
            ticket_type_id,
            quantity,
        }
    }
}

pub struct NewOrder {
    pub event_id: i64,
    pub buyer_name: String,
    pub buyer_email: String,
    pub items: Vec<OrderItem>,
    pub created_at: i64,
}

#[derive(Debug)]
pub struct PlacedOrder {
    pub id: i64,
    pub code: String,
    pub ticket_codes: Vec<String>,
}

/// One ticket about to be issued.
struct NewTicket {
    ticket_type_id: i64,
    price: i64,
    code: String,
}

/// Places a paid order with its tickets and publishes the sale, or returns None when a
/// ticket type is unknown for this event or has too few tickets left (nothing changed).
pub fn sell(
    conn: &mut DbConnection,
    bus: &dyn Bus,
    tenant: &Tenant,
    order: &NewOrder,
) -> QueryResult<Option<PlacedOrder>> {
    let placed = place_order(conn, tenant, order)?;
    if placed.is_some() {
        bus.publish(Update {
            channel: Channel::occupancy(tenant, order.event_id),
            kind: UpdateKind::TicketSold,
        });
        bus.publish(Update {
            channel: Channel::orders(tenant),
            kind: UpdateKind::OrderChanged,
        });
    }
    Ok(placed)
}

/// The commit of `sell`, publishing nothing: for seeds and tests that arrange data
/// before anyone watches.
pub fn place_order(conn: &mut DbConnection, tenant: &Tenant, order: &NewOrder) -> QueryResult<Option<PlacedOrder>> {
    db::write_transaction(conn, |conn| {
        let mut rng = rand::rng();
        let Some((lines, new_tickets)) = price_items(conn, tenant, order, &mut rng)? else {
            return Ok(None);
        };
        let code = codes::order_code(&mut rng);
        let order_id = insert_order(conn, tenant, order, &code, &lines)?;
        // The text index follows the orders table by itself; typo tolerance needs the
        // buyer's words folded here.
        super::list::record_buyer_words(conn, tenant, &order.buyer_name)?;
        for ticket in &new_tickets {
            diesel::insert_into(tickets::table)
                .values((
                    tickets::organization_id.eq(tenant.organization_id()),
                    tickets::event_id.eq(order.event_id),
                    tickets::order_id.eq(order_id),
                    tickets::ticket_type_id.eq(ticket.ticket_type_id),
                    tickets::code.eq(&ticket.code),
                    tickets::status.eq(TicketStatus::Valid),
                    tickets::price.eq(ticket.price),
                    tickets::created_at.eq(order.created_at),
                ))
                .execute(conn)?;
        }
        for line in &lines {
            record_sale(conn, tenant, order.event_id, order.created_at, line)?;
        }
        let (gross, fees) = (
            lines.iter().map(|l| l.gross).sum::<i64>(),
            lines.iter().map(|l| l.fees).sum::<i64>(),
        );
        webhooks::enqueue(
            conn,
            tenant,
            webhooks::EventKind::OrderPaid,
            &serde_json::json!({
                "order_id": order_id, "code": code, "event_id": order.event_id, "status": OrderStatus::Paid.as_str(),
                "buyer_name": order.buyer_name, "buyer_email": order.buyer_email.to_lowercase(),
                "gross": gross, "fees": fees, "net": net_of(gross, fees, 0),
                "tickets": new_tickets.iter().map(|t| &t.code).collect::<Vec<_>>(),
            }),
            db::now_ms(),
        )?;
        Ok(Some(PlacedOrder {
            id: order_id,
            code,
            ticket_codes: new_tickets.into_iter().map(|t| t.code).collect(),
        }))
    })
}

/// The order's lines and tickets at the types' prices, or None when a type is unknown
/// or has too few tickets left.
fn price_items(
    conn: &mut DbConnection,
    tenant: &Tenant,
    order: &NewOrder,
    rng: &mut impl rand::Rng,
) -> QueryResult<Option<(Vec<SaleLine>, Vec<NewTicket>)>> {
    let (mut lines, mut new_tickets) = (Vec::new(), Vec::new());
    // Locked in one order (by id), so two orders of the same types cannot deadlock.
    let mut items = order.items.clone();
    items.sort_unstable();
    for OrderItem {
        ticket_type_id,
        quantity,
    } in items
    {
        let Some(TypeForSale { price, capacity }) = ticket_type_for_sale(conn, tenant, order.event_id, ticket_type_id)?
        else {
            return Ok(None);
        };
        let sold = tickets_held(conn, tenant, order.event_id, ticket_type_id)?;
        if quantity < 1 || sold + quantity > capacity {
            return Ok(None);
        }
        let gross = price * quantity;
        lines.push(SaleLine {
            ticket_type_id,
            tickets: quantity,
            gross,
            fees: fee_for(gross),
        });
        new_tickets.extend((0..quantity).map(|_| NewTicket {
            ticket_type_id,
            price,
            code: codes::ticket_code(rng),
        }));
    }
    Ok(Some((lines, new_tickets)))
}

fn insert_order(
    conn: &mut DbConnection,
    tenant: &Tenant,
    order: &NewOrder,
    code: &str,
    lines: &[SaleLine],
) -> QueryResult<i64> {
    let gross = lines.iter().map(|line| line.gross).sum::<i64>();
    let fees = lines.iter().map(|line| line.fees).sum::<i64>();
    let values = (
        orders::organization_id.eq(tenant.organization_id()),
        orders::event_id.eq(order.event_id),
        orders::code.eq(code),
        orders::buyer_name.eq(&order.buyer_name),
        orders::buyer_email.eq(order.buyer_email.to_lowercase()),
        orders::status.eq(OrderStatus::Paid),
        orders::gross.eq(gross),
        orders::fees.eq(fees),
        orders::net.eq(net_of(gross, fees, 0)),
        orders::created_at.eq(order.created_at),
    );
    with_backend!(conn, |c| diesel::insert_into(orders::table)
        .values(values)
        .returning(orders::id)
        .get_result(c))
}

/// What a sale needs of a ticket type.
#[derive(Queryable)]
struct TypeForSale {
    price: i64,
    capacity: i64,
}

/// A ticket type's price and capacity, locked until the sale commits. SQLite's write
/// transaction already runs one sale at a time; on PostgreSQL the row lock makes
/// concurrent sales of one type (from any instance) check its capacity one after another.
fn ticket_type_for_sale(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    type_id: i64,
) -> QueryResult<Option<TypeForSale>> {
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
