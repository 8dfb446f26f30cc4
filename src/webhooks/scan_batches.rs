//! `scan.recorded`, batched: at most one delivery a second per endpoint, whatever the
//! scan rate and however many instances run. Each endpoint keeps a cursor over the
//! scans table (the last scan id delivered and when it moved). Every instance looks
//! once a second and moves each due cursor with a conditional update (`WHERE
//! scan_cursor = <read> AND scan_cursor_at = <read>`) in the same transaction as the
//! delivery it queues: one instance wins each second, the others change nothing. The
//! scan path itself writes nothing for webhooks. Scans are read up to the newest id
//! seen two looks ago, so a PostgreSQL transaction that took a lower id but committed
//! later is not skipped. A delivery lists at most 500 scans; more wait for the next.
//! The same task purges finished deliveries after 30 days.

use std::collections::VecDeque;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{json, Value};

use super::courier::WebhookWaker;
use super::model::{EventKind, EventSet};
use super::queries::enqueue_for;
use crate::db::schema::{gates, scans, webhook_endpoints};
use crate::db::{self, run_blocking, DbConnection, DbError, Pool, Tenant};
use crate::live::{Shutdown, Ticker};

/// Most scans in one delivery.
pub const SCANS_PER_DELIVERY: i64 = 500;

/// Looks that pass before a scan id is read: its transaction has committed by then.
const SETTLE_LOOKS: usize = 2;

/// How long sent and failed deliveries stay in the log.
const KEEP_DELIVERIES_MS: i64 = 30 * 86_400_000;
/// How often they are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3_600);

/// Deletes deliveries finished more than 30 days ago (sent, or given up), by the
/// `(status, next_attempt_at)` index: a sent row's next attempt is its lease's end,
/// a failed one's is past its last attempt.
fn purge_old_deliveries(conn: &mut DbConnection, now: i64) -> QueryResult<usize> {
    use crate::db::schema::webhook_deliveries;
    diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::status.eq_any(["sent", "failed"]))
            .filter(webhook_deliveries::next_attempt_at.lt(now - KEEP_DELIVERIES_MS)),
    )
    .execute(conn)
}

/// Starts the once-a-`every` look (and, hourly, the purge of deliveries older than 30
/// days); it ends when the server stops.
pub fn start(pool: Pool, waker: WebhookWaker, every: Duration, shutdown: Shutdown) {
    tokio::spawn(async move {
        let mut newest_seen: VecDeque<i64> = VecDeque::new();
        let mut last_purge = std::time::Instant::now();
        let mut ticker = Ticker::new(every, Some(shutdown));
        let every_ms = i64::try_from(every.as_millis()).unwrap_or(1_000);
        while ticker.next_round().await {
            let settled = (newest_seen.len() >= SETTLE_LOOKS).then(|| newest_seen[0]);
            let looked = run_blocking(&pool, move |conn| -> Result<_, DbError> {
                let newest: Option<i64> = scans::table.select(diesel::dsl::max(scans::id)).first(conn)?;
                let queued = match settled {
                    Some(bound) => batch_scans(conn, bound, db::now_ms(), every_ms)?,
                    None => 0,
                };
                Ok((newest.unwrap_or(0), queued))
            })
            .await;
            if last_purge.elapsed() >= PURGE_EVERY {
                last_purge = std::time::Instant::now();
                let purged = run_blocking(&pool, |conn| -> Result<_, DbError> {
                    Ok(purge_old_deliveries(conn, db::now_ms())?)
                })
                .await;
                if let Err(e) = purged {
                    tracing::warn!(error = %e, "purging old webhook deliveries failed");
                }
            }
            match looked {
                Ok((newest, queued)) => {
                    newest_seen.push_back(newest);
                    if newest_seen.len() > SETTLE_LOOKS {
                        newest_seen.pop_front();
                    }
                    if queued > 0 {
                        waker.wake();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "scan.recorded batching round failed"),
            }
        }
    });
}

/// An endpoint that receives scans, with its cursor as read.
#[derive(Queryable)]
struct ScanEndpoint {
    id: i64,
    organization_id: i64,
    events: String,
    scan_cursor: i64,
    scan_cursor_at: i64,
}

/// Queues one delivery per due endpoint with the scans after its cursor up to `bound`;
/// how many were queued.
fn batch_scans(conn: &mut DbConnection, bound: i64, now: i64, every_ms: i64) -> QueryResult<usize> {
    let endpoints: Vec<ScanEndpoint> = webhook_endpoints::table
        .filter(webhook_endpoints::disabled_at.is_null())
        .filter(webhook_endpoints::events.like("%scan.recorded%"))
        .filter(webhook_endpoints::scan_cursor.lt(bound))
        .filter(webhook_endpoints::scan_cursor_at.le(now - every_ms))
        .select((
            webhook_endpoints::id,
            webhook_endpoints::organization_id,
            webhook_endpoints::events,
            webhook_endpoints::scan_cursor,
            webhook_endpoints::scan_cursor_at,
        ))
        .load(conn)?;
    let mut queued = 0;
    for endpoint in endpoints {
        if EventSet::from_stored(&endpoint.events).contains(EventKind::ScanRecorded)
            && advance(conn, &endpoint, bound, now)?
        {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Moves one endpoint's cursor and queues its delivery, unless another instance moved
/// it first; whether a delivery was queued.
fn advance(conn: &mut DbConnection, endpoint: &ScanEndpoint, bound: i64, now: i64) -> QueryResult<bool> {
    let tenant = Tenant::authenticated(endpoint.organization_id);
    db::write_transaction(conn, |conn| {
        let (listed, last_id) = scans_after(conn, &tenant, endpoint.scan_cursor, bound)?;
        let moved = diesel::update(
            webhook_endpoints::table
                .filter(webhook_endpoints::id.eq(endpoint.id))
                .filter(webhook_endpoints::scan_cursor.eq(endpoint.scan_cursor))
                .filter(webhook_endpoints::scan_cursor_at.eq(endpoint.scan_cursor_at)),
        )
        .set((
            webhook_endpoints::scan_cursor.eq(last_id.unwrap_or(bound)),
            webhook_endpoints::scan_cursor_at.eq(now),
        ))
        .execute(conn)?;
        if moved != 1 || listed.is_empty() {
            return Ok(false);
        }
        let data = json!({ "count": listed.len(), "scans": listed });
        enqueue_for(conn, &tenant, endpoint.id, EventKind::ScanRecorded, &data, now)?;
        Ok(true)
    })
}

/// A scan as a delivery lists it.
#[derive(Queryable)]
struct ScanLine {
    id: i64,
    event_id: i64,
    ticket_code: String,
    gate: String,
    direction: String,
    result: String,
    reason: Option<String>,
    scanned_at: i64,
}

/// The tenant's scans after `cursor` up to `bound` (at most `SCANS_PER_DELIVERY`), as
/// JSON, and the id of the last one listed.
fn scans_after(
    conn: &mut DbConnection,
    tenant: &Tenant,
    cursor: i64,
    bound: i64,
) -> QueryResult<(Vec<Value>, Option<i64>)> {
    let lines: Vec<ScanLine> = scans::table
        .inner_join(gates::table)
        .filter(scans::id.gt(cursor))
        .filter(scans::id.le(bound))
        .filter(scans::organization_id.eq(tenant.organization_id()))
        .order(scans::id)
        .limit(SCANS_PER_DELIVERY)
        .select((
            scans::id,
            scans::event_id,
            scans::ticket_code,
            gates::name,
            scans::direction,
            scans::result,
            scans::reason,
            scans::scanned_at,
        ))
        .load(conn)?;
    let last = lines.last().map(|l| l.id);
    // A full delivery stops at its last scan; otherwise everything up to `bound` is covered.
    let last = if lines.len() as i64 == SCANS_PER_DELIVERY {
        last
    } else {
        None
    };
    let listed = lines
        .into_iter()
        .map(|l| {
            json!({
                "id": l.id,
                "event_id": l.event_id,
                "ticket_code": l.ticket_code,
                "gate": l.gate,
                "direction": l.direction,
                "result": l.result,
                "reason": l.reason,
                "scanned_at": chrono::DateTime::from_timestamp_millis(l.scanned_at)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            })
        })
        .collect();
    Ok((listed, last))
}
