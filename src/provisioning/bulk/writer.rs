//! `OrderWriter`: makes orders with realistic buyers, statuses, refunds and timestamps,
//! and writes them, their tickets and the sales rollup in large batched inserts.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::buyers::random_buyer;
use super::{EventToFill, OrderRow, RefundRow, TicketRow};
use crate::db::schema::{orders, refunds, tickets};
use crate::db::{DbConnection, Tenant};
use crate::orders::{
    fee_for, hour_of, net_of, order_code_for_id, pause_text_index, rebuild_text_index, record_buyer_words, record_sale,
    refund_amount, ticket_code, OrderStatus, SaleLine, TicketStatus,
};
use crate::with_backend;

/// Makes orders with realistic buyers, statuses and timestamps, and writes them.
pub struct OrderWriter {
    pub(super) next_order_id: i64,
    pub(super) next_ticket_id: i64,
    pub(super) rng: StdRng,
    pub(super) orders: Vec<OrderRow>,
    pub(super) tickets: Vec<TicketRow>,
    pub(super) refunds: Vec<RefundRow>,
    /// Sales per (organisation, event, hour) and ticket type, for the hourly rollup.
    pub(super) sales: HashMap<(i64, i64, i64, i64), SaleLine>,
    /// Buyer names (per organisation) whose words are in the search's typo dictionary.
    pub(super) buyers_indexed: HashSet<(i64, String)>,
}

/// The tickets of one order being made.
struct SoldTickets {
    organization_id: i64,
    event_id: i64,
    order_id: i64,
    ticket_type_id: i64,
    price: i64,
    quantity: i64,
    created_at: i64,
}

/// Rows per INSERT statement: under SQLite's 32,766 bound parameters.
pub(super) const BATCH_ROWS: usize = 2_500;

impl OrderWriter {
    /// Orders come in random time order: the text index waits until `finish`.
    pub fn new(conn: &mut DbConnection) -> QueryResult<Self> {
        Self::with_rng(conn, StdRng::from_rng(&mut rand::rng()))
    }

    /// The same buyers, statuses, quantities and ticket codes on every run with one
    /// `seed` (their timestamps still follow the clock): for fixtures whose cost must
    /// repeat, such as `bench-costs`.
    pub fn seeded(conn: &mut DbConnection, seed: u64) -> QueryResult<Self> {
        Self::with_rng(conn, StdRng::seed_from_u64(seed))
    }

    fn with_rng(conn: &mut DbConnection, rng: StdRng) -> QueryResult<Self> {
        pause_text_index(conn)?;
        let max_order: Option<i64> = orders::table.select(diesel::dsl::max(orders::id)).first(conn)?;
        let max_ticket: Option<i64> = tickets::table.select(diesel::dsl::max(tickets::id)).first(conn)?;
        Ok(Self {
            next_order_id: max_order.unwrap_or(0) + 1,
            next_ticket_id: max_ticket.unwrap_or(0) + 1,
            rng,
            orders: Vec::new(),
            tickets: Vec::new(),
            refunds: Vec::new(),
            sales: HashMap::new(),
            buyers_indexed: HashSet::new(),
        })
    }

    /// Adds one order for `event`, refunded by `owner_id` when its status says so.
    /// False when every ticket type of the event is sold out.
    pub fn add_order(&mut self, tenant: &Tenant, event: &mut EventToFill, owner_id: i64) -> bool {
        let Some(slot) = self.type_with_tickets_left(event) else {
            return false;
        };
        let id = self.next_order_id;
        self.next_order_id += 1;
        let created_at = self
            .rng
            .random_range(event.sold_from..=event.sold_until.max(event.sold_from));
        let (buyer_name, buyer_email) = random_buyer(&mut self.rng, id);
        let (status, quantity) = self.status_and_quantity(event, slot);
        let ticket_type = &event.ticket_types[slot];
        let sold = SoldTickets {
            organization_id: tenant.organization_id(),
            event_id: event.event_id,
            order_id: id,
            ticket_type_id: ticket_type.id,
            price: ticket_type.price,
            quantity,
            created_at,
        };
        let (gross, refunded) = self.add_tickets(&sold, status);
        let fees = fee_for(gross);
        if refunded > 0 {
            self.refunds.push(RefundRow {
                organization_id: sold.organization_id,
                order_id: id,
                amount: refunded,
                idempotency_key: format!("seed-{id}"),
                user_id: owner_id,
                created_at,
            });
        }
        self.orders.push(OrderRow {
            id,
            organization_id: sold.organization_id,
            event_id: event.event_id,
            code: order_code_for_id(id),
            buyer_name,
            buyer_email,
            status,
            gross,
            fees,
            net: net_of(gross, fees, refunded),
            created_at,
        });
        true
    }

    /// A ticket type of `event` with tickets left, starting the search at random.
    fn type_with_tickets_left(&mut self, event: &EventToFill) -> Option<usize> {
        let types = event.ticket_types.len();
        let start = self.rng.random_range(0..types.max(1));
        (0..types)
            .map(|i| (start + i) % types)
            .find(|&i| event.ticket_types[i].left > 0)
    }

    /// A status as often as real orders have it, and how many tickets of type `slot`
    /// (taken from what is left); a partial refund needs two tickets at least.
    fn status_and_quantity(&mut self, event: &mut EventToFill, slot: usize) -> (OrderStatus, i64) {
        let rng = &mut self.rng;
        let mut status = match rng.random_range(0..100) {
            0..92 => OrderStatus::Paid,
            92..95 => OrderStatus::Refunded,
            95..97 => OrderStatus::PartiallyRefunded,
            97..99 => OrderStatus::Cancelled,
            _ => OrderStatus::Pending,
        };
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
        (status, quantity)
    }

    /// The order's tickets (none while pending) with the statuses its own status
    /// implies, and its sale in the rollup: the order's gross and what was refunded.
    fn add_tickets(&mut self, sold: &SoldTickets, status: OrderStatus) -> (i64, i64) {
        let gross = sold.price * sold.quantity;
        let mut refunded_prices = Vec::new();
        for n in (0..sold.quantity).filter(|_| status != OrderStatus::Pending) {
            let ticket_status = match status {
                OrderStatus::Refunded => TicketStatus::Refunded,
                OrderStatus::Cancelled => TicketStatus::Cancelled,
                OrderStatus::PartiallyRefunded if n == 0 => TicketStatus::Refunded,
                _ => TicketStatus::Valid,
            };
            if ticket_status == TicketStatus::Refunded {
                refunded_prices.push(sold.price);
            }
            self.tickets.push(TicketRow {
                id: self.next_ticket_id,
                organization_id: sold.organization_id,
                event_id: sold.event_id,
                order_id: sold.order_id,
                ticket_type_id: sold.ticket_type_id,
                code: ticket_code(&mut self.rng),
                status: ticket_status,
                price: sold.price,
                created_at: sold.created_at,
            });
            self.next_ticket_id += 1;
        }
        if status.was_sold() {
            let key = (
                sold.organization_id,
                sold.event_id,
                sold.ticket_type_id,
                hour_of(sold.created_at),
            );
            let line = self.sales.entry(key).or_insert(SaleLine {
                ticket_type_id: sold.ticket_type_id,
                tickets: 0,
                gross: 0,
                fees: 0,
            });
            line.tickets += sold.quantity;
            line.gross += gross;
            line.fees += fee_for(gross);
        }
        (gross, refund_amount(refunded_prices))
    }

    /// Tickets generated so far and not yet written, for seeds that scan some of them.
    pub fn pending_tickets(&self) -> impl Iterator<Item = &TicketRow> {
        self.tickets.iter()
    }

    /// Orders generated so far and not yet written, in id order, for fixtures that
    /// search for their buyers.
    pub fn pending_order_rows(&self) -> impl Iterator<Item = &OrderRow> {
        self.orders.iter()
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
        let new_buyers: Vec<(i64, String)> = orders
            .iter()
            .map(|o| (o.organization_id, o.buyer_name.clone()))
            .filter(|buyer| self.buyers_indexed.insert(buyer.clone()))
            .collect();
        conn.transaction(|conn| {
            // The text index follows the orders table by itself (triggers); the typo
            // dictionary takes each distinct buyer name once.
            for (org, name) in &new_buyers {
                record_buyer_words(conn, &Tenant::authenticated(*org), name)?;
            }
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
    /// Then rebuilds the text index in one ordered pass, and refreshes the planner's
    /// statistics of every table.
    pub fn finish(self, conn: &mut DbConnection) -> QueryResult<()> {
        rebuild_text_index(conn)?;
        if let DbConnection::Postgresql(pg) = conn {
            for table in ["orders", "tickets", "refunds"] {
                diesel::sql_query(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                ))
                .execute(pg)?;
            }
        }
        // Every bulk write ends here: the planner must know the new rows at once.
        crate::db::analyze(conn)
    }
}
