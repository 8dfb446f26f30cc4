//! Bulk data: many orders with their tickets, written in large batched inserts inside
//! one transaction per chunk. Used by `voelgoed seed` (benchmark data) and the demo seed.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use diesel::prelude::*;
use rand::rngs::ThreadRng;
use rand::Rng;

use voelgoed::auth::{hash_password, Role};
use voelgoed::db::schema::{orders, refunds, tickets, users};
use voelgoed::db::{self, DbConnection, Pool, Tenant};
use voelgoed::orders::{
    codes, fee_for, hour_of, net_of, record_sale, refund_amount, OrderStatus, SaleLine, TicketStatus,
};
use voelgoed::provisioning::{self, NewEvent};
use voelgoed::with_backend;

#[derive(Insertable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub organization_id: i64,
    pub event_id: i64,
    pub code: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub status: OrderStatus,
    pub gross: i64,
    pub fees: i64,
    pub net: i64,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = tickets)]
pub struct TicketRow {
    pub id: i64,
    pub organization_id: i64,
    pub event_id: i64,
    pub order_id: i64,
    pub ticket_type_id: i64,
    pub code: String,
    pub status: TicketStatus,
    pub price: i64,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    pub organization_id: i64,
    pub order_id: i64,
    pub amount: i64,
    pub idempotency_key: String,
    pub user_id: i64,
    pub created_at: i64,
}

/// An event to fill: its ticket types as (id, price), and when its orders were made.
pub struct EventToFill {
    pub event_id: i64,
    pub ticket_types: Vec<TypeToFill>,
    pub sold_from: i64,
    pub sold_until: i64,
    /// Largest number of tickets in one order.
    pub max_tickets: i64,
}

/// A ticket type being sold: its id, price and how many tickets are still to be had.
pub struct TypeToFill {
    pub id: i64,
    pub price: i64,
    pub left: i64,
}

/// Makes orders with realistic buyers, statuses and timestamps, and writes them.
pub struct OrderWriter {
    next_order_id: i64,
    next_ticket_id: i64,
    rng: ThreadRng,
    orders: Vec<OrderRow>,
    tickets: Vec<TicketRow>,
    refunds: Vec<RefundRow>,
    /// Sales per (organisation, event, hour) and ticket type, for the hourly rollup.
    sales: HashMap<(i64, i64, i64, i64), SaleLine>,
}

const FIRST_NAMES: &[&str] = &[
    "Anna", "Bram", "Chloé", "Daan", "Emma", "Finn", "Gugu", "Hugo", "Iris", "Jan", "Kemal", "Lotte", "Musa", "Noor",
    "Olivier", "Priya", "Quinten", "Ruth", "Sipho", "Tess", "Umar", "Vera", "Wouter", "Xena", "Yara", "Zanele",
];
const LAST_NAMES: &[&str] = &[
    "de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "Mokoena", "Naidoo", "Botha", "Dlamini",
    "Peeters", "Janssens", "Müller", "García", "Okafor", "Nguyen", "Kowalski", "O'Brien", "Rossi",
];

/// Rows per INSERT statement: under SQLite's 32,766 bound parameters.
const BATCH_ROWS: usize = 2_500;

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

/// What `voelgoed seed` did.
pub struct SeedReport {
    organizations: u32,
    orders: u64,
    largest: u64,
    seconds: f64,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seeded {} organisations with {} orders (largest organisation: {} orders) in {:.1} s; \
             owners owner@seed-K.test / seed-owner for K = 1..{}",
            self.organizations, self.orders, self.largest, self.seconds, self.organizations
        )
    }
}

/// `voelgoed seed`: `orgs` organisations sharing `total_orders` along a Zipf curve
/// (organisation K gets a share proportional to 1/K), as real platforms look.
pub fn seed(pool: &Pool, total_orders: u64, orgs: u32) -> anyhow::Result<SeedReport> {
    anyhow::ensure!(orgs >= 1, "--orgs must be at least 1");
    let started = Instant::now();
    let mut conn = pool.get()?;
    let taken: i64 = users::table
        .filter(users::email.eq("owner@seed-1.test"))
        .count()
        .get_result(&mut *conn)?;
    anyhow::ensure!(
        taken == 0,
        "this database was already seeded (owner@seed-1.test exists)"
    );
    if let DbConnection::Sqlite(sqlite) = &mut *conn {
        // Ticket codes are random, so their unique index takes inserts all over the
        // B-tree: a large page cache keeps that in memory (256 MB, this connection only).
        diesel::connection::SimpleConnection::batch_execute(sqlite, "PRAGMA cache_size = -262144")?;
    }
    let password_hash = hash_password("seed-owner")?;
    let harmonic: f64 = (1..=orgs).map(|k| 1.0 / f64::from(k)).sum();
    let mut writer = OrderWriter::new(&mut conn)?;
    let mut written = 0u64;
    let mut largest = 0u64;
    for k in 1..=orgs {
        let share = if k == orgs {
            total_orders - written
        } else {
            ((total_orders as f64) / (f64::from(k) * harmonic)).round() as u64
        }
        .min(total_orders - written);
        let (tenant, owner_id, mut events) = seed_organization(&mut conn, k, &password_hash)?;
        for n in 0..share {
            let slot = (n % events.len() as u64) as usize;
            let event = &mut events[slot];
            writer.add_order(&tenant, event, owner_id);
            if writer.pending_orders() >= 20_000 {
                writer.flush(&mut conn)?;
            }
        }
        writer.flush(&mut conn)?;
        written += share;
        largest = largest.max(share);
    }
    writer.finish(&mut conn)?;
    db::refresh_planner_statistics(&mut conn)?;
    Ok(SeedReport {
        organizations: orgs,
        orders: written,
        largest,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Organisation K with its owner, and a past, a current and a future event to sell.
fn seed_organization(
    conn: &mut DbConnection,
    k: u32,
    password_hash: &str,
) -> anyhow::Result<(Tenant, i64, Vec<EventToFill>)> {
    const DAY: i64 = 86_400_000;
    let now = db::now_ms();
    let tenant = provisioning::create_organization(conn, &format!("Seed Organisation {k}"), "Europe/Amsterdam")?;
    let owner_id = provisioning::create_user_with_hash(
        conn,
        &tenant,
        &format!("owner@seed-{k}.test"),
        &format!("Seed Owner {k}"),
        password_hash,
        Role::Owner,
    )?;
    let mut events = Vec::new();
    for (name, starts_in_days) in [("Spring Market", -60), ("City Festival", 0), ("Winter Concert", 45)] {
        let starts_at = now + starts_in_days * DAY - 3 * 3_600_000;
        let event = NewEvent {
            name: &format!("{name} {k}"),
            venue: "Seed Hall",
            starts_at,
            ends_at: starts_at + 12 * 3_600_000,
            timezone: "Europe/Amsterdam",
            capacity: 5_000_000,
            currency: "EUR",
            sales_open_at: starts_at - 90 * DAY,
        };
        let event_id = provisioning::create_event(conn, &tenant, &event)?;
        let mut ticket_types = Vec::new();
        for (type_name, price) in [("Regular", 3_500), ("VIP", 9_900), ("Student", 2_250)] {
            let id = provisioning::create_ticket_type(conn, &tenant, event_id, type_name, price, 2_000_000)?;
            ticket_types.push(TypeToFill {
                id,
                price,
                left: 2_000_000,
            });
        }
        for gate in ["Main", "Side"] {
            provisioning::find_or_create_gate(conn, &tenant, event_id, gate)?;
        }
        events.push(EventToFill {
            event_id,
            ticket_types,
            sold_from: event.sales_open_at,
            sold_until: now.min(starts_at),
            max_tickets: 4,
        });
    }
    Ok((tenant, owner_id, events))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn seeded_orders_never_sell_more_tickets_than_a_type_holds() {
        let dir = tempfile::tempdir().unwrap();
        let url = db::DatabaseUrl::parse(dir.path().join("bulk.sqlite").to_str().unwrap()).unwrap();
        let pool = db::connect(&url).unwrap();
        db::migrate(&pool).unwrap();
        let conn = &mut *pool.get().unwrap();
        let (tenant, owner_id, events) = seed_organization(conn, 1, "!").unwrap();
        let (event_id, type_id) = (events[0].event_id, events[0].ticket_types[0].id);

        let mut writer = OrderWriter::new(conn).unwrap();
        let now = db::now_ms();
        let mut event = EventToFill {
            event_id,
            ticket_types: vec![TypeToFill {
                id: type_id,
                price: 4_550,
                left: 10,
            }],
            sold_from: now - 1000,
            sold_until: now,
            max_tickets: 4,
        };
        let accepted = (0..50)
            .filter(|_| writer.add_order(&tenant, &mut event, owner_id))
            .count();
        writer.flush(conn).unwrap();
        let sold: i64 = tickets::table
            .filter(tickets::event_id.eq(event_id))
            .count()
            .get_result(conn)
            .unwrap();

        assert!(sold <= 10, "{sold} tickets for a type of 10");
        assert!(accepted < 50, "orders stop once the type is sold out");
    }
}
