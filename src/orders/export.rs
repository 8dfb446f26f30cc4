//! `GET /orders.csv`: the filtered orders, one row per ticket, streamed. A blocking task
//! walks the orders a keyset page at a time and hands CSV chunks through a small
//! bounded channel, so memory stays flat however many rows there are and a slow client
//! slows the export down instead of filling the server. It holds one connection for
//! the export and reads without SQLite's memory map (see `db::without_memory_map`).
//! Exports have a budget of their own (`Exports`) so a crowd of slow downloads can
//! exhaust only that, never the pages' or the gates' connections.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use chrono::TimeZone as _;
use diesel::prelude::*;
use tokio::sync::mpsc;

use super::list::{
    event_labels, order_summaries, read_filter, EventLabel, FilterQuery, OrderFilter, OrderSummary, ZonedFilter,
};
use super::model::TicketStatus;
use crate::auth::CurrentUser;
use crate::db::schema::{ticket_types, tickets};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::error::AppError;
use crate::events::TimeZone;
use crate::quota::Quota;

/// `GET /orders.csv`: the filtered orders, one row per ticket, streamed.
pub async fn export_orders(
    pool: web::Data<Pool>,
    exports: web::Data<Exports>,
    user: CurrentUser,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    // Every valid ticket code is in it, which is what gets people in: owners only.
    user.require_owner()?;
    let tenant = user.tenant();
    let ZonedFilter { timezone, filter } = read_filter(&pool, tenant, query.into_inner()).await?;
    let chunks = exports.start(tenant, filter, timezone).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"orders.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(tokio_stream::wrappers::ReceiverStream::new(chunks)))
}

/// Orders read per query.
const ORDERS_PER_PAGE: i64 = 1_000;
/// CSV chunks waiting for the client at most.
const CHUNKS_IN_FLIGHT: usize = 4;
/// How often a full channel is looked at again while the client is slow.
const STALL_POLL: Duration = Duration::from_millis(20);

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

/// The exports' own budget, apart from the pages' and the gates': their own pool, a
/// few at a time per organisation, and a download whose reader stops reading for
/// `idle` is ended (its connection goes back to the pool).
#[derive(Clone)]
pub struct Exports {
    pool: Pool,
    idle: Duration,
    /// Exports running, per organisation.
    running: Quota<i64>,
}

/// Why an export did not start.
#[derive(Debug, thiserror::Error)]
pub enum ExportRefused {
    #[error("{0} exports of your organisation are running already. Try again when one has finished.")]
    TooMany(usize),
    #[error("the export database is busy: {0}")]
    Busy(String),
}

impl From<ExportRefused> for AppError {
    fn from(refused: ExportRefused) -> Self {
        match refused {
            ExportRefused::TooMany(_) => AppError::TooManyRequests(refused.to_string()),
            ExportRefused::Busy(_) => AppError::Unavailable(refused.to_string()),
        }
    }
}

impl Exports {
    /// The exports' own pool (for `/metrics`).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn new(pool: Pool, per_organization: usize, idle: Duration) -> Self {
        Self {
            pool,
            idle,
            running: Quota::new(per_organization),
        }
    }

    /// Starts the export; the receiver yields CSV chunks until the last order.
    pub async fn start(
        &self,
        tenant: Tenant,
        filter: OrderFilter,
        timezone: TimeZone,
    ) -> Result<mpsc::Receiver<std::io::Result<Bytes>>, ExportRefused> {
        let slot = self
            .running
            .take(tenant.organization_id())
            .ok_or(ExportRefused::TooMany(self.running.limit()))?;
        let pool = self.pool.clone();
        let conn = tokio::task::spawn_blocking(move || pool.get())
            .await
            .map_err(|e| ExportRefused::Busy(e.to_string()))?
            .map_err(|e| ExportRefused::Busy(e.to_string()))?;
        let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let idle = self.idle;
        tokio::task::spawn_blocking(move || {
            let mut conn = conn;
            let out = Output { sender, idle };
            if let Err(e) = export(&mut conn, &tenant, &filter, timezone, &out) {
                tracing::warn!(error = %e, "order export stopped");
                let _ = out.sender.try_send(Err(std::io::Error::other("export failed")));
            }
            drop(slot);
        });
        Ok(receiver)
    }
}

/// Where the CSV goes: the response's channel, given up on when its reader stalls.
struct Output {
    sender: mpsc::Sender<std::io::Result<Bytes>>,
    idle: Duration,
}

impl Output {
    /// False when the client went away or stopped reading for longer than `idle`.
    fn send(&self, chunk: Vec<u8>) -> bool {
        let mut chunk = Ok(Bytes::from(chunk));
        let waiting_since = std::time::Instant::now();
        loop {
            match self.sender.try_send(chunk) {
                Ok(()) => return true,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
                Err(mpsc::error::TrySendError::Full(back)) => {
                    if waiting_since.elapsed() >= self.idle {
                        tracing::info!(idle = ?self.idle, "order export ended: the client stopped reading");
                        return false;
                    }
                    chunk = back;
                    std::thread::sleep(STALL_POLL);
                }
            }
        }
    }
}

fn export(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    timezone: TimeZone,
    out: &Output,
) -> anyhow::Result<()> {
    if !out.send(csv_header()?) {
        return Ok(());
    }
    db::without_memory_map(conn, |conn| {
        let events = event_labels(conn, tenant, None)?;
        let mut after = None;
        loop {
            let orders = order_summaries(conn, tenant, filter, after, ORDERS_PER_PAGE)?;
            let Some(last) = orders.last() else { break };
            after = Some(last.cursor());
            if !out.send(csv_of(conn, tenant, &orders, &events, &timezone)?) {
                return Ok(());
            }
            if (orders.len() as i64) < ORDERS_PER_PAGE {
                break;
            }
        }
        Ok(())
    })
}

/// The CSV's header row (the export's, and a bulk export job's).
pub fn csv_header() -> anyhow::Result<Vec<u8>> {
    let mut header = csv::Writer::from_writer(Vec::new());
    header.write_record(HEADER)?;
    Ok(header.into_inner()?)
}

/// These orders as CSV rows, a row per ticket (the export's, and a bulk export job's).
pub fn csv_of(
    conn: &mut DbConnection,
    tenant: &Tenant,
    orders: &[OrderSummary],
    events: &HashMap<i64, EventLabel>,
    timezone: &TimeZone,
) -> anyhow::Result<Vec<u8>> {
    let tickets = tickets_of(conn, tenant, &orders.iter().map(|o| o.id).collect::<Vec<_>>())?;
    let mut by_order: HashMap<i64, Vec<&ExportTicket>> = HashMap::new();
    for ticket in &tickets {
        by_order.entry(ticket.order_id).or_default().push(ticket);
    }
    let mut csv = csv::Writer::from_writer(Vec::with_capacity(256 * 1024));
    for order in orders {
        let (event, currency) = events
            .get(&order.event_id)
            .map_or(("", ""), |e| (e.name.as_str(), e.currency.as_str()));
        let created = timezone
            .timestamp_millis_opt(order.created_at)
            .single()
            .map(|t| t.to_rfc3339())
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
    status: TicketStatus,
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
