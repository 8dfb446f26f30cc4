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
use tokio::sync::mpsc;

use super::list::{
    event_labels, order_summaries, read_filter, EventLabel, FilterQuery, OrderFilter, OrderSummary, ZonedFilter,
};
use crate::auth::{CurrentUser, Permission};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::error::AppError;
use crate::events::TimeZone;
use crate::quota::Quota;

mod rows;

pub use rows::HEADER;

/// `GET /orders.csv`: the filtered orders, one row per ticket, streamed.
pub async fn export_orders(
    pool: web::Data<Pool>,
    exports: web::Data<Exports>,
    user: CurrentUser,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    // Every valid ticket code is in it, which is what gets people in.
    user.require(Permission::ExportOrders)?;
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
            if !out.send(csv_of(conn, tenant, &orders, &events, timezone)?) {
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
    timezone: TimeZone,
) -> anyhow::Result<Vec<u8>> {
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let page = rows::Page {
        orders,
        tickets: &rows::tickets_of(conn, tenant, &ids)?,
        refunds: &rows::refund_reasons(conn, tenant, orders)?,
    };
    page.csv(events, timezone)
}
