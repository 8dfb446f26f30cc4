//! `GET /sse/orders`: rows of new orders that pass the list's filter, put on top of the
//! list. The hub turns the tenant's order updates into one coalesced read of its newest
//! order id, shared by all its open lists; when it moves, each client reads only the
//! orders after the newest it has looked at (its SSE id) and sends those that pass its
//! filter.

use actix_web::{web, HttpRequest, Responder};
use futures_util::{stream, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::watch;

use super::filter::{FilterQuery, OrderFilter};
use super::handlers::{read_filter, ZonedFilter};
use super::search::{self, NewOrders, PAGE_ROWS};
use super::views;
use crate::auth::{CurrentUser, SessionWatch};
use crate::db::{Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::TimeZone;
use crate::live::{frame, render_with, sse_stream_until, Channel, Frame, Hub, Render};

#[derive(Deserialize)]
pub struct StreamQuery {
    #[serde(flatten)]
    filter: FilterQuery,
    since: Option<String>,
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
}

pub async fn orders_stream(
    req: HttpRequest,
    (pool, hub, sessions): (web::Data<Pool>, web::Data<Hub>, web::Data<SessionWatch>),
    user: CurrentUser,
    query: web::Query<StreamQuery>,
) -> Result<impl Responder, AppError> {
    let (tenant, query) = (user.tenant(), query.into_inner());
    let shown_up_to = query.shown_up_to(&req)?;
    let ZonedFilter { timezone, filter } = read_filter(&pool, tenant, query.filter).await?;
    let ticks = hub.subscribe(Channel::orders(&tenant), "newest-order", newest_order(&pool, tenant));
    let live = LiveRows {
        pool: pool.get_ref().clone(),
        tenant,
        filter,
        timezone,
        shown_up_to,
    };
    let ended = sessions.ended(&user);
    Ok(sse_stream_until(
        hub.with_live_status(live.frames(ticks)).boxed_local(),
        ended,
    ))
}

/// The organisation's newest order id, rendered once per coalesced update for all its
/// open lists: a change tells each of them to look for new orders that pass its filter.
fn newest_order(pool: &Pool, tenant: Tenant) -> Render {
    render_with(pool.clone(), move |pool| async move {
        let newest = with_db(&pool, move |conn| Ok(search::newest_order_id(conn, &tenant)?)).await?;
        Ok(frame("newest-order", newest.to_string()))
    })
}

/// One client's live list: its filter and the newest order it has looked at.
struct LiveRows {
    pool: Pool,
    tenant: Tenant,
    filter: OrderFilter,
    timezone: TimeZone,
    shown_up_to: i64,
}

impl LiveRows {
    /// A frame of new rows after each tick that brings some.
    fn frames(self, ticks: watch::Receiver<Option<Frame>>) -> impl Stream<Item = Frame> {
        stream::unfold((ticks, self), |(mut ticks, mut live)| async move {
            loop {
                ticks.changed().await.ok()?;
                if let Some(frame) = live.new_rows().await {
                    return Some((frame, (ticks, live)));
                }
            }
        })
    }

    async fn new_rows(&mut self) -> Option<Frame> {
        let (tenant, filter, since) = (self.tenant, self.filter.clone(), self.shown_up_to);
        let NewOrders { lines, looked_at } = with_db(&self.pool, move |conn| {
            Ok(search::orders_since(conn, &tenant, &filter, since, PAGE_ROWS)?)
        })
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot read new orders"))
        .ok()?;
        // Orders looked at and not matching the filter are not looked at again.
        self.shown_up_to = looked_at;
        if lines.is_empty() {
            return None;
        }
        let html = views::order_rows(&lines, &self.timezone, None).into_string();
        Some(frame(views::ROWS_SSE_EVENT, html).with_id(looked_at.to_string()))
    }
}
