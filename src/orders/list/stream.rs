//! `GET /sse/orders`: rows of new orders that pass the list's filter, put on top of the
//! list, and the redrawn rows of orders refunded or voided since, swapped in place. The
//! hub turns the tenant's order updates into one coalesced read of its newest order id
//! and newest row change (`changes.rs`), shared by all its open lists; when either
//! moves, each client reads only the orders after the newest it has looked at (its SSE
//! id) and the changes after the newest it has looked at, and sends what concerns it.

use actix_web::{web, HttpRequest, Responder};
use actix_web_lab::FromRequest;
use futures_util::{stream, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::watch;

use super::changes;
use super::filter::{FilterQuery, OrderFilter};
use super::handlers::{of_users_events, read_filter, ZonedFilter};
use super::search::{self, NewOrders, OrderLine, PAGE_ROWS};
use super::views;
use crate::auth::{CurrentUser, Permission, SessionWatch};
use crate::db::{Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::TimeZone;
use crate::live::{frame, frame_of_parts, render_with, Channel, Frame, Hub, Render};

#[derive(Deserialize)]
pub struct StreamQuery {
    #[serde(flatten)]
    filter: FilterQuery,
    since: Option<String>,
    /// The newest row change when the page was read (see `changes.rs`).
    changes: Option<String>,
}

impl StreamQuery {
    /// The newest order the client has seen: `since=` or its `Last-Event-ID`, whichever
    /// is later.
    fn shown_up_to(&self, req: &HttpRequest) -> Result<i64, AppError> {
        let last_event_id = req.headers().get("Last-Event-ID").and_then(|v| v.to_str().ok());
        let given = [self.since.as_deref(), last_event_id]
            .into_iter()
            .flatten()
            .map(|v| v.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AppError::bad_request("since must be an order id"))?;
        Ok(given.into_iter().max().unwrap_or(0))
    }

    /// The newest row change the page shows; None when not given (the stream then
    /// starts from the changes at its first look).
    fn changes_seen(&self) -> Result<Option<i64>, AppError> {
        let raw = self.changes.as_deref().map(str::trim).filter(|v| !v.is_empty());
        raw.map(|v| v.parse::<i64>())
            .transpose()
            .map_err(|_| AppError::bad_request("changes must be a number"))
    }
}

/// What the order list's live rows need.
#[derive(FromRequest)]
pub struct ListStreamServices {
    pool: web::Data<Pool>,
    hub: web::Data<Hub>,
    sessions: web::Data<SessionWatch>,
}

pub async fn orders_stream(
    req: HttpRequest,
    ListStreamServices { pool, hub, sessions }: ListStreamServices,
    user: CurrentUser,
    query: web::Query<StreamQuery>,
) -> Result<impl Responder, AppError> {
    user.require(Permission::ViewOrders)?;
    let (tenant, query) = (user.tenant(), query.into_inner());
    let shown_up_to = query.shown_up_to(&req)?;
    let changes_seen = query.changes_seen()?;
    let ZonedFilter { timezone, filter } = read_filter(&pool, tenant, of_users_events(query.filter, &user)?).await?;
    let ticks = hub.subscribe(Channel::orders(&tenant), "newest-order", newest_order(&pool, tenant));
    let live = LiveRows {
        pool: pool.get_ref().clone(),
        tenant,
        filter,
        timezone,
        shown_up_to,
        changes_seen,
        viewer: user.clone(),
    };
    let ended = sessions.ended(&user);
    Ok(hub.sse_until(live.frames(ticks).boxed_local(), ended))
}

/// The organisation's newest order id and row change, rendered once per coalesced
/// update for all its open lists: a change tells each of them to look for new orders
/// that pass its filter and for rows to redraw.
fn newest_order(pool: &Pool, tenant: Tenant) -> Render {
    render_with(pool.clone(), move |pool| async move {
        let newest = with_db(&pool, move |conn| {
            let order = search::newest_order_id(conn, &tenant)?;
            Ok(format!("{order}:{}", changes::newest_change_id(conn, &tenant)?))
        })
        .await?;
        Ok(frame("newest-order", newest))
    })
}

/// One client's live list: its filter and the newest order and row change it has
/// looked at.
struct LiveRows {
    pool: Pool,
    tenant: Tenant,
    filter: OrderFilter,
    timezone: TimeZone,
    shown_up_to: i64,
    changes_seen: Option<i64>,
    /// Whose list it is: the addresses are masked for them as on the page.
    viewer: CurrentUser,
}

/// What one look found: new orders, and the changed rows of orders already looked at.
struct Look {
    new: NewOrders,
    changes_looked_at: i64,
    passing: Vec<OrderLine>,
    left_filter: Vec<OrderLine>,
}

impl LiveRows {
    /// A frame of new and redrawn rows after each tick that brings some.
    fn frames(self, ticks: watch::Receiver<Option<Frame>>) -> impl Stream<Item = Frame> {
        stream::unfold((ticks, self), |(mut ticks, mut live)| async move {
            loop {
                ticks.changed().await.ok()?;
                if let Some(frame) = live.look().await {
                    return Some((frame, (ticks, live)));
                }
            }
        })
    }

    /// New orders that pass the filter (on top) and the redrawn rows of orders changed
    /// since the last look (in place), as one message each; None when there are neither.
    async fn look(&mut self) -> Option<Frame> {
        let (tenant, filter) = (self.tenant, self.filter.clone());
        let (since, changes_seen) = (self.shown_up_to, self.changes_seen);
        let look = with_db(&self.pool, move |conn| {
            let new = search::orders_since(conn, &tenant, &filter, since, PAGE_ROWS)?;
            let Some(after) = changes_seen else {
                let changes_looked_at = changes::newest_change_id(conn, &tenant)?;
                let (passing, left_filter) = (Vec::new(), Vec::new());
                return Ok(Look {
                    new,
                    changes_looked_at,
                    passing,
                    left_filter,
                });
            };
            let changed = changes::orders_changed_since(conn, &tenant, after)?;
            // Orders after `since` arrive as new rows, as they are now.
            let shown: Vec<i64> = changed.order_ids.into_iter().filter(|id| *id <= since).collect();
            let (passing, left_filter) = search::changed_lines(conn, &tenant, &filter, &shown)?;
            let changes_looked_at = changed.looked_at;
            Ok(Look {
                new,
                changes_looked_at,
                passing,
                left_filter,
            })
        })
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot read new or changed orders"))
        .ok()?;
        let mut look = look;
        for lines in [&mut look.new.lines, &mut look.passing, &mut look.left_filter] {
            super::search::mask_emails(lines, &self.viewer);
        }
        // Orders looked at and not matching the filter are not looked at again.
        self.shown_up_to = look.new.looked_at;
        self.changes_seen = Some(look.changes_looked_at);
        let mut parts = Vec::new();
        if !look.passing.is_empty() || !look.left_filter.is_empty() {
            parts.push(
                views::changed_rows(&look.passing, &look.left_filter, &self.timezone)
                    .into_string()
                    .into(),
            );
        }
        if !look.new.lines.is_empty() {
            parts.push(
                views::order_rows(&look.new.lines, &self.timezone, None)
                    .into_string()
                    .into(),
            );
        }
        if parts.is_empty() {
            return None;
        }
        Some(frame_of_parts(views::ROWS_SSE_EVENT, parts).with_id(self.shown_up_to.to_string()))
    }
}
