//! `GET /orders`: the filtered order list, as a full page, as the results htmx swaps when
//! the filter changes, or as the next rows "load more" appends. Its live rows:
//! `stream.rs`; its export: `../export.rs`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::changes;
use super::filter::{Cursor, FilterQuery, OrderFilter};
use super::labels::{self, EventChoice};
use super::search::{self, OrderPage, PAGE_ROWS};
use super::views;
use crate::auth::{random_token, CurrentUser, Permission};
use crate::db::{DbConnection, Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::TimeZone;
use crate::orders::bulk::MAX_JOB_ORDERS;
use crate::orders::order::RESENDS_PER_USER;
use crate::paths;

/// One page of the list, and what the full page needs around it.
struct Listing {
    timezone: TimeZone,
    page: OrderPage,
    events: Vec<EventChoice>,
    /// The newest order id and row change when the first page was read: the live
    /// stream starts there.
    newest: Option<(i64, i64)>,
    /// Orders matching the filter, up to one past a bulk job's limit (first pages).
    matching: Option<i64>,
}

pub async fn list_orders(
    req: HttpRequest,
    pool: web::Data<Pool>,
    user: CurrentUser,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::ViewOrders)?;
    let query = query.into_inner();
    let listing = Listing::read(&pool, &user, &query).await?;
    let results = listing.results(&query, &user);
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
    /// The page `query` asks for, of the user's events, with the addresses as `user`
    /// may see them.
    async fn read(pool: &Pool, user: &CurrentUser, query: &FilterQuery) -> Result<Self, AppError> {
        let (tenant, parsed) = (user.tenant(), of_users_events(query.clone(), user)?);
        let cursor = query.cursor(&tenant)?;
        let mut listing = with_db(pool, move |conn| Self::load(conn, &tenant, &parsed, cursor)).await?;
        super::search::mask_emails(&mut listing.page.lines, user);
        listing.events.retain(|event| user.may_see_event(event.id));
        Ok(listing)
    }

    /// The page after `cursor` (the first page when None) of the filtered list.
    fn load(
        conn: &mut DbConnection,
        tenant: &Tenant,
        query: &FilterQuery,
        cursor: Option<Cursor>,
    ) -> Result<Self, AppError> {
        let timezone = labels::organization_timezone(conn, tenant)?;
        let filter = query.filter(&timezone)?;
        // Read before the page: an order placed in between is pushed, not lost.
        let newest = cursor
            .is_none()
            .then(|| {
                Ok::<_, diesel::result::Error>((
                    search::newest_order_id(conn, tenant)?,
                    changes::newest_change_id(conn, tenant)?,
                ))
            })
            .transpose()?;
        let matching = cursor
            .is_none()
            .then(|| search::matching_ids(conn, tenant, &filter, MAX_JOB_ORDERS + 1))
            .transpose()?
            .map(|ids| ids.len() as i64);
        Ok(Self {
            matching,
            page: search::find_orders(conn, tenant, &filter, cursor, PAGE_ROWS)?,
            events: labels::event_choices(conn, tenant)?,
            timezone,
            newest,
        })
    }

    /// The rows with their links: the next page, the live stream, the export.
    fn results(&self, query: &FilterQuery, user: &CurrentUser) -> views::Results<'_> {
        let (tenant, can_export) = (&user.tenant(), user.may(Permission::ExportOrders));
        let filter_qs = query.filter_query_string();
        views::Results {
            lines: &self.page.lines,
            timezone: &self.timezone,
            next_page: self
                .page
                .next
                .map(|cursor| paths::with_query(paths::ORDERS, &query.next_page_query_string(tenant, cursor))),
            stream_url: self.newest.map(|(since, changes)| {
                let live = format!("since={since}&changes={changes}");
                paths::with_query(paths::ORDERS_STREAM, &joined(&filter_qs, &live))
            }),
            csv_url: can_export.then(|| paths::with_query(paths::ORDERS_CSV, &filter_qs)),
            bulk: self.matching.map(|matching| bulk_choice(user, query, matching)),
        }
    }
}

/// The bulk form for this filter, with a job key of its own.
fn bulk_choice(user: &CurrentUser, query: &FilterQuery, matching: i64) -> views::BulkChoice {
    let fields = [
        ("q", &query.q),
        ("status", &query.status),
        ("event", &query.event),
        ("from", &query.from),
        ("to", &query.to),
    ];
    views::BulkChoice {
        csrf_token: user.csrf_token.clone(),
        job_key: random_token(),
        matching,
        // A role whose bulk resends count against its resend limit may take no more.
        limit: match user.may(Permission::ResendBeyondUserLimit) {
            true => MAX_JOB_ORDERS,
            false => RESENDS_PER_USER,
        },
        filter: fields
            .iter()
            .filter_map(|(name, value)| (*value).clone().map(|v| (*name, v)))
            .collect(),
        owner: user.may(Permission::RefundOrders),
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

/// Two query strings as one.
fn joined(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (true, _) => second.to_owned(),
        (_, true) => first.to_owned(),
        _ => format!("{first}&{second}"),
    }
}

/// The organisation's time zone and the filter read in it.
pub struct ZonedFilter {
    pub timezone: TimeZone,
    pub filter: OrderFilter,
}

/// Reads the filter in the organisation's time zone (for the live rows and the export).
/// The filter kept to the user's events: a supervisor's list shows one of their events
/// at a time (the first when none is chosen; none of theirs: no orders), and another
/// event is 404 as another organisation's. Owners and finance see every event.
pub fn of_users_events(mut query: FilterQuery, user: &CurrentUser) -> Result<FilterQuery, AppError> {
    // Addresses the user sees masked are not searched by their parts: see `SearchText`.
    query.whole_addresses_only = !user.may(Permission::SeeEmails);
    let Some(assigned) = user.events().assigned() else {
        return Ok(query);
    };
    match crate::forms::optional_id(query.event.as_deref(), "event")? {
        Some(event) => user.require_event(event)?,
        // No event has id 0: the list is empty.
        None => query.event = Some(assigned.first().copied().unwrap_or(0).to_string()),
    }
    Ok(query)
}

pub async fn read_filter(pool: &Pool, tenant: Tenant, query: FilterQuery) -> Result<ZonedFilter, AppError> {
    with_db(pool, move |conn| {
        let timezone = labels::organization_timezone(conn, &tenant)?;
        let filter = query.filter(&timezone)?;
        Ok(ZonedFilter { timezone, filter })
    })
    .await
}
