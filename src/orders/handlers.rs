//! The order list: `GET /orders`, its live rows (`GET /sse/orders`) and its export
//! (`GET /orders.csv`). One order and the actions on it: `order_handlers.rs`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, Responder};
use futures_util::{stream, StreamExt};
use serde::Deserialize;

use super::filter::{Cursor, FilterQuery, OrderFilter};
use super::search::{self, OrderPage, PAGE_ROWS};
use super::{export, views};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, DbConnection, Tenant};
use crate::error::AppError;
use crate::live::{frame, render_with, sse_stream_until, Channel, Render};

/// One page of the list, and what the full page needs around it.
struct Listing {
    timezone: String,
    page: OrderPage,
    events: Vec<(i64, String)>,
    /// The newest order id when the first page was read: the live stream starts there.
    newest: Option<i64>,
}

pub async fn list_orders(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    let (tenant, query) = (user.tenant(), query.into_inner());
    let cursor = query.cursor(&tenant)?;
    let parsed = query.clone();
    let listing = db::run(&state.pool, move |conn| Listing::load(conn, &tenant, &parsed, cursor)).await?;
    let results = listing.results(&query, &tenant, user.require_owner().is_ok());
    let markup = match htmx_target(&req) {
        Some(target) if target == views::LOAD_MORE_ID => {
            views::order_rows(results.lines, results.timezone, results.next_page.as_deref())
        }
        Some(_) => views::order_results(&results),
        None => views::orders_page(&user.viewer(), &query, &listing.events, &results),
    };
    // The same URL answers a page or a fragment: caches must keep them apart.
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "HX-Request"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

impl Listing {
    /// The page after `cursor` (the first page when None) of the filtered list.
    fn load(
        conn: &mut DbConnection,
        tenant: &Tenant,
        query: &FilterQuery,
        cursor: Option<Cursor>,
    ) -> Result<Self, AppError> {
        let timezone = search::organization_timezone(conn, tenant)?;
        let filter = query.filter(&timezone)?;
        // Read before the page: an order placed in between is pushed, not lost.
        let newest = cursor
            .is_none()
            .then(|| search::newest_order_id(conn, tenant))
            .transpose()?;
        Ok(Self {
            page: search::find_orders(conn, tenant, &filter, cursor, PAGE_ROWS)?,
            events: search::event_choices(conn, tenant)?,
            timezone,
            newest,
        })
    }

    /// The rows with their links: the next page, the live stream, the export.
    fn results(&self, query: &FilterQuery, tenant: &Tenant, can_export: bool) -> views::Results<'_> {
        let filter_qs = query.filter_query_string();
        views::Results {
            lines: &self.page.lines,
            timezone: &self.timezone,
            next_page: self
                .page
                .next
                .map(|cursor| format!("/orders?{}", query.next_page_query_string(tenant, cursor))),
            stream_url: self
                .newest
                .map(|since| with_query("/sse/orders", &filter_qs, &format!("since={since}"))),
            csv_url: can_export.then(|| with_query("/orders.csv", &filter_qs, "")),
        }
    }
}

/// The element an htmx request will swap (`""` when it names none); None for a full
/// page, including htmx's history restore after a cache miss.
fn htmx_target(req: &HttpRequest) -> Option<String> {
    let headers = req.headers();
    if headers.get("HX-Request").is_none() || headers.get("HX-History-Restore-Request").is_some() {
        return None;
    }
    Some(
        headers
            .get("HX-Target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    )
}

fn with_query(path: &str, filter_qs: &str, extra: &str) -> String {
    let joined: Vec<&str> = [filter_qs, extra].into_iter().filter(|s| !s.is_empty()).collect();
    if joined.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", joined.join("&"))
    }
}

#[derive(Deserialize)]
pub struct StreamQuery {
    #[serde(flatten)]
    filter: FilterQuery,
    since: Option<String>,
}

/// `GET /sse/orders`: rows of new orders that pass the filter, put on top of the list.
/// The hub turns the tenant's order updates into one coalesced read of its newest order
/// id, shared by all its open lists; when it moves, each client reads only the orders
/// after the newest it has looked at (its SSE id) and sends those that pass its filter.
pub async fn orders_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<StreamQuery>,
) -> Result<impl Responder, AppError> {
    let tenant = user.tenant();
    let query = query.into_inner();
    let since = [query.since.as_deref(), last_event_id(&req)]
        .into_iter()
        .flatten()
        .map(|v| v.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::bad_request("since must be an order id"))?
        .into_iter()
        .max()
        .unwrap_or(0);
    let (timezone, filter) = read_filter(&state, tenant, query.filter).await?;
    let ticks = state
        .hub
        .subscribe(Channel::orders(&tenant), "newest-order", newest_order(&state, tenant));
    let live = LiveRows {
        state: state.clone(),
        tenant,
        filter,
        timezone,
        shown_up_to: since,
    };
    let frames = stream::unfold((ticks, live), |(mut ticks, mut live)| async move {
        loop {
            ticks.changed().await.ok()?;
            if let Some(frame) = live.new_rows().await {
                return Some((frame, (ticks, live)));
            }
        }
    });
    Ok(sse_stream_until(
        state.hub.with_live_status(frames).boxed_local(),
        user.session_ended(&state),
    ))
}

/// The organisation's timezone and the filter read in it.
async fn read_filter(state: &AppState, tenant: Tenant, query: FilterQuery) -> Result<(String, OrderFilter), AppError> {
    db::run(&state.pool, move |conn| {
        let timezone = search::organization_timezone(conn, &tenant)?;
        let filter = query.filter(&timezone)?;
        Ok((timezone, filter))
    })
    .await
}

/// The organisation's newest order id, rendered once per coalesced update for all its
/// open lists: a change tells each of them to look for new orders that pass its filter.
fn newest_order(state: &AppState, tenant: Tenant) -> Render {
    render_with(state.pool.clone(), move |pool| async move {
        let newest = db::run(&pool, move |conn| Ok(search::newest_order_id(conn, &tenant)?)).await?;
        Ok(frame("newest-order", newest.to_string()))
    })
}

fn last_event_id(req: &HttpRequest) -> Option<&str> {
    req.headers().get("Last-Event-ID").and_then(|v| v.to_str().ok())
}

struct LiveRows {
    state: web::Data<AppState>,
    tenant: Tenant,
    filter: OrderFilter,
    timezone: String,
    shown_up_to: i64,
}

impl LiveRows {
    async fn new_rows(&mut self) -> Option<crate::live::Frame> {
        let (tenant, filter, since) = (self.tenant, self.filter.clone(), self.shown_up_to);
        let (lines, looked_at) = db::run(&self.state.pool, move |conn| {
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

/// `GET /orders.csv`: the filtered orders, one row per ticket, streamed.
pub async fn export_orders(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    // Every valid ticket code is in it, which is what gets people in: owners only.
    user.require_owner()?;
    let tenant = user.tenant();
    let query = query.into_inner();
    let (timezone, filter) = read_filter(&state, tenant, query).await?;
    let chunks = state
        .exports
        .start(tenant, filter, timezone)
        .await
        .map_err(|refused| match refused {
            export::ExportRefused::TooMany(_) => AppError::TooManyRequests(refused.to_string()),
            export::ExportRefused::Busy(_) => AppError::Unavailable(refused.to_string()),
        })?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"orders.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(tokio_stream::wrappers::ReceiverStream::new(chunks)))
}
