//! `GET /orders.csv`: the filtered orders, one row per ticket, streamed. A blocking task
//! walks the orders a keyset page at a time and hands CSV chunks through a small
//! bounded channel, so memory stays flat however many rows there are and a slow client
//! slows the export down instead of filling the server. It holds one connection for
//! the export and reads without SQLite's memory map (see `db::without_memory_map`).

use std::collections::HashMap;

use actix_web::web::Bytes;
use chrono::TimeZone;
use chrono_tz::Tz;
use diesel::prelude::*;
use tokio::sync::mpsc;

use super::filter::OrderFilter;
use super::search::{order_summaries, OrderSummary};
use crate::db::schema::{events, ticket_types, tickets};
use crate::db::{self, DbConnection, Pool, Tenant};

/// Orders read per query.
const ORDERS_PER_PAGE: i64 = 1_000;
/// CSV chunks waiting for the client at most.
const CHUNKS_IN_FLIGHT: usize = 4;

pub const HEADER: [&str; 11] = [
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
];

/// Starts the export; the receiver yields CSV chunks until the last order.
pub fn start(
    pool: Pool,
    tenant: Tenant,
    filter: OrderFilter,
    timezone: String,
) -> mpsc::Receiver<std::io::Result<Bytes>> {
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = export(&pool, &tenant, &filter, &timezone, &sender) {
            tracing::warn!(error = %e, "order export stopped");
            let _ = sender.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    receiver
}

fn export(
    pool: &Pool,
    tenant: &Tenant,
    filter: &OrderFilter,
    timezone: &str,
    sender: &mpsc::Sender<std::io::Result<Bytes>>,
) -> anyhow::Result<()> {
    let tz: Tz = timezone.parse().unwrap_or(Tz::UTC);
    let mut header = csv::Writer::from_writer(Vec::new());
    header.write_record(HEADER)?;
    if sender.blocking_send(Ok(Bytes::from(header.into_inner()?))).is_err() {
        return Ok(());
    }
    let mut conn = pool.get()?;
    db::without_memory_map(&mut conn, |conn| {
        let events = event_names(conn, tenant)?;
        let mut after = None;
        loop {
            let orders = order_summaries(conn, tenant, filter, after, ORDERS_PER_PAGE)?;
            let Some(last) = orders.last() else { break };
            after = Some(last.cursor());
            let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
            let tickets = tickets_of(conn, tenant, &ids)?;
            let chunk = csv_rows(&orders, &tickets, &events, &tz)?;
            if sender.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                // The client went away.
                return Ok(());
            }
            if (orders.len() as i64) < ORDERS_PER_PAGE {
                break;
            }
        }
        Ok(())
    })
}

/// One page of orders as CSV rows, a row per ticket.
fn csv_rows(
    orders: &[OrderSummary],
    tickets: &[ExportTicket],
    events: &HashMap<i64, (String, String)>,
    tz: &Tz,
) -> anyhow::Result<Vec<u8>> {
    let mut by_order: HashMap<i64, Vec<&ExportTicket>> = HashMap::new();
    for ticket in tickets {
        by_order.entry(ticket.order_id).or_default().push(ticket);
    }
    let mut csv = csv::Writer::from_writer(Vec::with_capacity(256 * 1024));
    for order in orders {
        let (event, currency) = events
            .get(&order.event_id)
            .map_or(("", ""), |(n, c)| (n.as_str(), c.as_str()));
        let created = tz
            .timestamp_millis_opt(order.created_at)
            .single()
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        for ticket in by_order.get(&order.id).map(Vec::as_slice).unwrap_or_default() {
            csv.write_record([
                order.code.as_str(),
                &created,
                &order.status,
                &cell(&order.buyer_name),
                &cell(&order.buyer_email),
                &cell(event),
                &ticket.code,
                &cell(&ticket.ticket_type),
                &ticket.status,
                &decimal(ticket.price),
                currency,
            ])?;
        }
    }
    Ok(csv.into_inner()?)
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
struct ExportTicket {
    order_id: i64,
    code: String,
    ticket_type: String,
    status: String,
    price: i64,
}

fn tickets_of(conn: &mut DbConnection, tenant: &Tenant, order_ids: &[i64]) -> QueryResult<Vec<ExportTicket>> {
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

fn event_names(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<HashMap<i64, (String, String)>> {
    Ok(events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .select((events::id, events::name, events::currency))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, currency)| (id, (name, currency)))
        .collect())
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
