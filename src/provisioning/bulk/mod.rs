//! Bulk data: many orders with their tickets, written in large batched inserts inside
//! one transaction per chunk. Used by `voelgoed seed` (benchmark data), the demo seed
//! and the benchmarks' fixtures (`voelgoed-bench`), so all of them write orders one way.

use std::fmt;
use std::time::Instant;

use diesel::prelude::*;

use super::{self as provisioning, NewEvent};
use crate::auth::{hash_password, Role};
use crate::db::schema::{orders, refunds, tickets, users};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::orders::{OrderStatus, TicketStatus};

mod buyers;
mod seeded_tickets;
mod writer;
pub use seeded_tickets::{let_in_every_nth, ticket_codes, Codes};
pub use writer::OrderWriter;

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
