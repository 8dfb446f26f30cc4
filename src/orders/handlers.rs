//! Order pages and actions: `GET /orders` (+ `/sse/orders`, `/orders.csv`),
//! `GET /orders/{id}`, the refund confirmation and refund, and the confirmation resend.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, Responder};
use futures_util::{stream, StreamExt};
use serde::Deserialize;

use super::filter::{Cursor, FilterQuery, OrderFilter};
use super::outbox::{self, ResendRefused};
use super::refunds::{self, RefundOutcome, RefundRequest, RefundScope};
use super::search::{self, OrderPage, PAGE_ROWS};
use super::{details, export, views};
use crate::app::AppState;
use crate::auth::{random_token, CsrfForm, CurrentUser};
use crate::db::{self, DbConnection, Tenant};
use crate::error::AppError;
use crate::live::{frame, render_with, sse_stream, Channel, Render, Update, UpdateKind};
use crate::ui::html;

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
    let results = listing.results(&query, &tenant);
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
    fn results(&self, query: &FilterQuery, tenant: &Tenant) -> views::Results<'_> {
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
            csv_url: with_query("/orders.csv", &filter_qs, ""),
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
    Ok(sse_stream(frames.boxed_local()))
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
    let tenant = user.tenant();
    let query = query.into_inner();
    let (timezone, filter) = read_filter(&state, tenant, query).await?;
    let chunks = export::start(state.pool.clone(), tenant, filter, timezone);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"orders.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(tokio_stream::wrappers::ReceiverStream::new(chunks)))
}

pub async fn show_order(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<HttpResponse, AppError> {
    let (tenant, order_id) = (user.tenant(), path.into_inner().0);
    let details = db::run(&state.pool, move |conn| {
        Ok(details::order_details(conn, &tenant, order_id)?)
    })
    .await?;
    let actions = views::Actions {
        can_refund: user.require_owner().is_ok(),
    };
    Ok(html(views::order_page(&user.viewer(), &details, &actions)))
}

/// Form fields as pairs: checkboxes repeat `ticket`.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `scope=all`, or `scope=tickets` with one `ticket=ID` per chosen ticket.
fn refund_scope(fields: &Fields) -> Result<RefundScope, AppError> {
    match field(fields, "scope") {
        Some("all") => Ok(RefundScope::WholeOrder),
        Some("tickets") | None => fields
            .iter()
            .filter(|(k, _)| k == "ticket")
            .map(|(_, v)| v.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map(RefundScope::Tickets)
            .map_err(|_| AppError::bad_request("ticket must be a ticket id")),
        Some(_) => Err(AppError::bad_request("scope must be all or tickets")),
    }
}

/// `GET /orders/{id}/refund`: the confirmation step; changes nothing.
pub async fn review_refund(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
    query: web::Query<Fields>,
) -> Result<HttpResponse, AppError> {
    user.require_owner()?;
    let (tenant, order_id) = (user.tenant(), path.into_inner().0);
    let scope = refund_scope(&query)?;
    let whole_order = scope == RefundScope::WholeOrder;
    let (order, currency, plan) = db::run(&state.pool, move |conn| {
        let details = details::order_details(conn, &tenant, order_id)?;
        let plan = refunds::plan_refund(conn, &tenant, order_id, &scope)?;
        Ok((details.order, details.event.currency, plan))
    })
    .await?;
    let plan = plan.map_err(|refused| AppError::bad_request(refused.to_string()))?;
    let key = random_token();
    Ok(html(views::refund_confirmation_page(
        &user.viewer(),
        &views::Confirmation {
            order_id,
            order_code: &order.code,
            currency: &currency,
            plan: &plan,
            whole_order,
            idempotency_key: &key,
        },
    )))
}

/// `POST /orders/{id}/refund`: refunds once per idempotency key, then shows the order.
pub async fn refund_order(
    state: web::Data<AppState>,
    path: web::Path<(i64,)>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    user.require_owner()?;
    let (tenant, order_id) = (user.tenant(), path.into_inner().0);
    let request = RefundRequest {
        user_id: user.user_id,
        order_id,
        scope: refund_scope(&form)?,
        idempotency_key: idempotency_key(&form)?,
        shown_amount: shown_amount(&form)?,
    };
    let outcome = db::run(&state.pool, move |conn| Ok(refunds::refund(conn, &tenant, &request)?))
        .await?
        .map_err(|refused| AppError::bad_request(refused.to_string()))?;
    if let RefundOutcome::Refunded { event_id, .. } = outcome {
        state.bus.publish(Update {
            channel: Channel::occupancy(&tenant, event_id),
            kind: UpdateKind::OrderChanged,
        });
        state.bus.publish(Update {
            channel: Channel::orders(&tenant),
            kind: UpdateKind::OrderChanged,
        });
    }
    Ok(see_order(order_id))
}

fn idempotency_key(form: &Fields) -> Result<String, AppError> {
    match field(form, "idempotency_key").map(str::trim) {
        Some(key) if !key.is_empty() && key.chars().count() <= refunds::MAX_KEY_CHARS => Ok(key.to_owned()),
        _ => Err(AppError::bad_request(
            "The refund form has no valid idempotency key: open the confirmation step again.",
        )),
    }
}

fn shown_amount(form: &Fields) -> Result<Option<i64>, AppError> {
    let Some(raw) = field(form, "amount").map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(amount) if amount > 0 => Ok(Some(amount)),
        Ok(_) => Err(AppError::bad_request("A refund must be of more than zero.")),
        Err(_) => Err(AppError::bad_request(
            "amount must be a whole number of minor units (cents)",
        )),
    }
}

/// `POST /orders/{id}/resend-confirmation`: queued for the outbox worker.
pub async fn resend_confirmation(
    state: web::Data<AppState>,
    path: web::Path<(i64,)>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let user = form.user;
    let (tenant, order_id, user_id) = (user.tenant(), path.into_inner().0, user.user_id);
    db::run(&state.pool, move |conn| {
        Ok(outbox::queue_confirmation(conn, &tenant, user_id, order_id)?)
    })
    .await?
    .map_err(|ResendRefused::TooSoon(s)| AppError::TooManyRequests(ResendRefused::TooSoon(s).to_string()))?;
    state.outbox.wake();
    Ok(see_order(order_id))
}

fn see_order(order_id: i64) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/orders/{order_id}")))
        .finish()
}
