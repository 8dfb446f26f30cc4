//! `OrderWriter`: makes orders with realistic buyers, statuses, refunds and timestamps,
//! and writes them, their tickets and the sales rollup in large batched inserts.

use std::collections::HashMap;

use diesel::prelude::*;
use rand::rngs::ThreadRng;
use rand::Rng;

use super::{EventToFill, OrderRow, RefundRow, TicketRow};
use voelgoed::db::schema::{orders, refunds, tickets};
use voelgoed::db::{DbConnection, Tenant};
use voelgoed::orders::{
    codes, fee_for, hour_of, net_of, record_sale, refund_amount, OrderStatus, SaleLine, TicketStatus,
};
use voelgoed::with_backend;

/// Makes orders with realistic buyers, statuses and timestamps, and writes them.
pub struct OrderWriter {
    pub(super) next_order_id: i64,
    pub(super) next_ticket_id: i64,
    pub(super) rng: ThreadRng,
    pub(super) orders: Vec<OrderRow>,
    pub(super) tickets: Vec<TicketRow>,
    pub(super) refunds: Vec<RefundRow>,
    /// Sales per (organisation, event, hour) and ticket type, for the hourly rollup.
    pub(super) sales: HashMap<(i64, i64, i64, i64), SaleLine>,
}

pub(super) const FIRST_NAMES: &[&str] = &[
    "Anna", "Bram", "Chloé", "Daan", "Emma", "Finn", "Gugu", "Hugo", "Iris", "Jan", "Kemal", "Lotte", "Musa", "Noor",
    "Olivier", "Priya", "Quinten", "Ruth", "Sipho", "Tess", "Umar", "Vera", "Wouter", "Xena", "Yara", "Zanele",
];
pub(super) const LAST_NAMES: &[&str] = &[
    "de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "Mokoena", "Naidoo", "Botha", "Dlamini",
    "Peeters", "Janssens", "Müller", "García", "Okafor", "Nguyen", "Kowalski", "O'Brien", "Rossi",
];

/// Rows per INSERT statement: under SQLite's 32,766 bound parameters.
pub(super) const BATCH_ROWS: usize = 2_500;

impl OrderWriter {
    pub fn new(conn: &mut DbConnection) -> QueryResult<Self> {
        let max_order: Option<i64> = orders::table.select(diesel::dsl::max(orders::id)).first(conn)?;
        let max_ticket: Option<i64> = tickets::table.select(diesel::dsl::max(tickets::id)).first(conn)?;
        Ok(Self {
            next_order_id: max_order.unwrap_or(0) + 1,
            next_ticket_id: max_ticket.unwrap_or(0) + 1,
            rng: rand::rng(),
            orders: Vec::new(),
            tickets: Vec::new(),
            refunds: Vec::new(),
            sales: HashMap::new(),
        })
    }

    /// Adds one order for `event`, refunded by `owner_id` when its status says so.
    /// False when every ticket type of the event is sold out.
    pub fn add_order(&mut self, tenant: &Tenant, event: &mut EventToFill, owner_id: i64) -> bool {
        let rng = &mut self.rng;
        let types = event.ticket_types.len();
        let start = rng.random_range(0..types.max(1));
        let Some(slot) = (0..types)
            .map(|i| (start + i) % types)
            .find(|&i| event.ticket_types[i].left > 0)
        else {
            return false;
        };
        let id = self.next_order_id;
        self.next_order_id += 1;
        let mut status = match rng.random_range(0..100) {
            0..92 => OrderStatus::Paid,
            92..95 => OrderStatus::Refunded,
            95..97 => OrderStatus::PartiallyRefunded,
            97..99 => OrderStatus::Cancelled,
            _ => OrderStatus::Pending,
        };
        let created_at = rng.random_range(event.sold_from..=event.sold_until.max(event.sold_from));
        let (first, last) = (
            FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            LAST_NAMES[rng.random_range(0..LAST_NAMES.len())],
        );
        let buyer_email = format!(
            "{}.{}{}@example.test",
            first.to_lowercase(),
            last.to_lowercase().replace([' ', '\''], ""),
            id % 997
        );
        let ticket_type = &mut event.ticket_types[slot];
        let wanted = if status == OrderStatus::PartiallyRefunded {
            rng.random_range(2..=event.max_tickets.max(2))
        } else {
            rng.random_range(1..=event.max_tickets)
        };
        let quantity = wanted.min(ticket_type.left);
        if quantity < 2 && status == OrderStatus::PartiallyRefunded {
            status = OrderStatus::Paid;
        }
        ticket_type.left -= quantity;
        let (type_id, price) = (ticket_type.id, ticket_type.price);
        let gross = price * quantity;
        let fees = fee_for(gross);
        let org = tenant.organization_id();
        let mut refunded_prices = Vec::new();
        if status != OrderStatus::Pending {
            for n in 0..quantity {
                let ticket_status = match status {
                    OrderStatus::Refunded => TicketStatus::Refunded,
                    OrderStatus::Cancelled => TicketStatus::Cancelled,
                    OrderStatus::PartiallyRefunded if n == 0 => TicketStatus::Refunded,
                    _ => TicketStatus::Valid,
                };
                if ticket_status == TicketStatus::Refunded {
                    refunded_prices.push(price);
                }
                self.tickets.push(TicketRow {
                    id: self.next_ticket_id,
                    organization_id: org,
                    event_id: event.event_id,
                    order_id: id,
                    ticket_type_id: type_id,
                    code: codes::ticket_code(rng),
                    status: ticket_status,
                    price,
                    created_at,
                });
                self.next_ticket_id += 1;
            }
        }
        if status.was_sold() {
            let line = self
                .sales
                .entry((org, event.event_id, type_id, hour_of(created_at)))
                .or_insert(SaleLine {
                    ticket_type_id: type_id,
                    tickets: 0,
                    gross: 0,
                    fees: 0,
                });
            line.tickets += quantity;
            line.gross += gross;
            line.fees += fees;
        }
        let refunded = refund_amount(refunded_prices);
        if refunded > 0 {
            self.refunds.push(RefundRow {
                organization_id: org,
                order_id: id,
                amount: refunded,
                idempotency_key: format!("seed-{id}"),
                user_id: owner_id,
                created_at,
            });
        }
        self.orders.push(OrderRow {
            id,
            organization_id: org,
            event_id: event.event_id,
            code: codes::order_code_for_id(id),
            buyer_name: format!("{first} {last}"),
            buyer_email,
            status,
            gross,
            fees,
            net: net_of(gross, fees, refunded),
            created_at,
        });
        true
    }

    /// Tickets generated so far and not yet written, for seeds that scan some of them.
    pub fn pending_tickets(&self) -> impl Iterator<Item = &TicketRow> {
        self.tickets.iter()
    }

    pub fn pending_orders(&self) -> usize {
        self.orders.len()
    }

    /// Writes everything added so far in one transaction.
    pub fn flush(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        let (orders, tickets, refunds, sales) = (
            std::mem::take(&mut self.orders),
            std::mem::take(&mut self.tickets),
            std::mem::take(&mut self.refunds),
            std::mem::take(&mut self.sales),
        );
        conn.transaction(|conn| {
            for chunk in orders.chunks(BATCH_ROWS) {
                with_backend!(&mut *conn, |c| diesel::insert_into(orders::table)
                    .values(chunk)
                    .execute(c))?;
            }
            for chunk in tickets.chunks(BATCH_ROWS) {
                with_backend!(&mut *conn, |c| diesel::insert_into(tickets::table)
                    .values(chunk)
                    .execute(c))?;
            }
            for chunk in refunds.chunks(BATCH_ROWS) {
                with_backend!(&mut *conn, |c| diesel::insert_into(refunds::table)
                    .values(chunk)
                    .execute(c))?;
            }
            for ((org, event_id, _, hour), line) in &sales {
                record_sale(conn, &Tenant::authenticated(*org), *event_id, *hour, line)?;
            }
            Ok(())
        })
    }

    /// PostgreSQL's id sequences do not see explicit ids: move them past what we wrote.
    pub fn finish(self, conn: &mut DbConnection) -> QueryResult<()> {
        if let DbConnection::Postgresql(pg) = conn {
            for table in ["orders", "tickets", "refunds"] {
                diesel::sql_query(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                ))
                .execute(pg)?;
            }
        }
        Ok(())
    }
}
