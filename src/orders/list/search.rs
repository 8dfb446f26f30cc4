//! The order list's queries: filtered, newest first, one keyset page at a time. Every
//! filter is served by an index that starts with organization_id (see the migrations
//! and BENCHMARKS.md for the plans); free text of 3 characters or more by the text
//! index (`text_index.rs`).

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::filter::{Cursor, OrderFilter, SearchText};
use super::labels::{event_labels, EventLabel};
pub use super::summary::OrderSummary;
use super::summary::{created_at, scoped};
use super::text_index;
use crate::db::schema::{orders, tickets};
use crate::db::{DbConnection, MultiBackend, Tenant};

diesel::define_sql_function! {
    /// SQL `lower(text)`: the expression the buyer-name index is built on.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Orders on one page of the list.
pub const PAGE_ROWS: i64 = 50;

/// One row of the order list, with what it needs from its event and tickets.
#[derive(Clone, Debug)]
pub struct OrderLine {
    pub order: OrderSummary,
    pub event_name: String,
    pub currency: String,
    pub tickets: i64,
}

/// A page of the list and the cursor of the next one, when there is more.
#[derive(Clone, Debug)]
pub struct OrderPage {
    pub lines: Vec<OrderLine>,
    pub next: Option<Cursor>,
}

type Condition = Box<dyn BoxableExpression<orders::table, MultiBackend, SqlType = Bool>>;

/// The filtered orders of the tenant with text too short for the text index: its
/// prefix ranges on name, e-mail and code are unioned from their indexes, so the cost
/// is bounded by the orders that match the text.
fn filtered(tenant: &Tenant, filter: &OrderFilter) -> orders::BoxedQuery<'static, MultiBackend> {
    let mut query = scoped(tenant, filter, filter.text.is_some());
    if let Some(SearchText {
        lower: text,
        code,
        whole_addresses_only,
        ..
    }) = &filter.text
    {
        let text_end = SearchText::range_end(text);
        // Masked addresses match only whole (see `SearchText`).
        let by_email: Condition = match whole_addresses_only {
            true => Box::new(orders::buyer_email.eq(text.trim().to_owned())),
            false => Box::new(
                orders::buyer_email
                    .ge(text.clone())
                    .and(orders::buyer_email.lt(text_end.clone())),
            ),
        };
        let mut matches: Condition = Box::new(
            by_email.or(lower(orders::buyer_name)
                .ge(text.clone())
                .and(lower(orders::buyer_name).lt(text_end))),
        );
        if let Some(code) = code {
            let code_end = SearchText::range_end(code);
            matches = Box::new(matches.or(orders::code.ge(code.clone()).and(orders::code.lt(code_end))));
        }
        query = query.filter(matches);
    }
    query
}

/// One page of the filtered list, newest first, starting after `after`.
pub fn find_orders(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    after: Option<Cursor>,
    limit: i64,
) -> QueryResult<OrderPage> {
    let mut rows = order_summaries(conn, tenant, filter, after, limit + 1)?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(OrderSummary::cursor)
    } else {
        None
    };
    Ok(OrderPage {
        lines: with_events_and_tickets(conn, tenant, rows)?,
        next,
    })
}

/// Up to `limit` filtered orders after `after`, newest first: the keyset page itself.
pub fn order_summaries(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    after: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<OrderSummary>> {
    if let Some(text) = filter.text.as_ref().filter(|t| t.indexed()) {
        return text_index::text_page(conn, tenant, filter, text, after, limit);
    }
    let mut query = filtered(tenant, filter);
    if let Some(Cursor { created_at: at, id }) = after {
        // The redundant `<=` gives the index a range to seek to: a deep page costs what
        // the first one does.
        let by_text = filter.text.is_some();
        query = query.filter(
            created_at(by_text)
                .le(at)
                .and(created_at(by_text).lt(at).or(orders::id.lt(id))),
        );
    }
    let query = if filter.text.is_some() {
        // Free text: the unary plus keeps the planner from walking the organisation's
        // orders in created order (checking each against the text); it unions the
        // three prefix ranges from their indexes and sorts only the matches.
        query.order(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "+orders.created_at DESC, orders.id DESC",
        ))
    } else {
        query.order((orders::created_at.desc(), orders::id.desc()))
    };
    query.limit(limit).select(OrderSummary::as_select()).load(conn)
}

/// The ids of up to `limit` filtered orders, in no particular order: what a bulk job
/// over "all orders matching this filter" takes (and, counted, what the list offers
/// it for); a job refuses more than its limit, so which ones a cut-off leaves out is moot.
pub fn matching_ids(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    if let Some(text) = filter.text.as_ref().filter(|t| t.indexed()) {
        let rows = text_index::text_page(conn, tenant, filter, text, None, limit)?;
        return Ok(rows.into_iter().map(|o| o.id).collect());
    }
    filtered(tenant, filter).limit(limit).select(orders::id).load(conn)
}

/// Orders placed since the live list last looked, that pass its filter.
#[derive(Clone, Debug)]
pub struct NewOrders {
    /// Newest first.
    pub lines: Vec<OrderLine>,
    /// The newest order id looked at (matching or not): the next look starts after it.
    pub looked_at: i64,
}

/// Newest orders placed after `after_id` that pass the filter, newest first (for the
/// live list), and the newest order id looked at. Looks at no more than `window` new
/// orders: the ids first, from the (organization_id, id) index, then the filter on
/// just those, so a tick costs the same whatever the filter.
pub fn orders_since(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    after_id: i64,
    window: i64,
) -> QueryResult<NewOrders> {
    let new_ids: Vec<i64> = orders::table
        .filter(orders::organization_id.eq(tenant.organization_id()))
        .filter(orders::id.gt(after_id))
        .order(orders::id.desc())
        .limit(window)
        .select(orders::id)
        .load(conn)?;
    let Some(&newest) = new_ids.first() else {
        return Ok(NewOrders {
            lines: Vec::new(),
            looked_at: after_id,
        });
    };
    let rows = passing(conn, tenant, filter, &new_ids)?;
    Ok(NewOrders {
        lines: with_events_and_tickets(conn, tenant, rows)?,
        looked_at: newest,
    })
}

/// The rows of these orders (any order of the ids) that pass the filter, and those that
/// do not (a live list redraws both: the latter left the filter since it was shown).
pub fn changed_lines(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    ids: &[i64],
) -> QueryResult<(Vec<OrderLine>, Vec<OrderLine>)> {
    let passing: Vec<i64> = passing(conn, tenant, filter, ids)?.iter().map(|o| o.id).collect();
    let rows = orders::table
        .filter(orders::organization_id.eq(tenant.organization_id()))
        .filter(orders::id.eq_any(ids))
        .select(OrderSummary::as_select())
        .load(conn)?;
    let lines = with_events_and_tickets(conn, tenant, rows)?;
    Ok(lines.into_iter().partition(|line| passing.contains(&line.order.id)))
}

/// Which of these orders pass the filter, newest id first (text through the text index).
fn passing(
    conn: &mut DbConnection,
    tenant: &Tenant,
    filter: &OrderFilter,
    ids: &[i64],
) -> QueryResult<Vec<OrderSummary>> {
    let indexed_text = filter.text.as_ref().filter(|t| t.indexed());
    let candidates = match indexed_text {
        Some(_) => scoped(tenant, filter, false),
        None => filtered(tenant, filter),
    };
    let rows = candidates
        .filter(orders::id.eq_any(ids))
        .order(orders::id.desc())
        .select(OrderSummary::as_select())
        .load(conn)?;
    match indexed_text {
        Some(text) => text_index::matching(conn, tenant, text, rows),
        None => Ok(rows),
    }
}

/// The highest order id of the tenant: the live list shows orders placed after it.
pub fn newest_order_id(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<i64> {
    let newest: Option<i64> = orders::table
        .filter(orders::organization_id.eq(tenant.organization_id()))
        .select(diesel::dsl::max(orders::id))
        .first(conn)?;
    Ok(newest.unwrap_or(0))
}

fn with_events_and_tickets(
    conn: &mut DbConnection,
    tenant: &Tenant,
    rows: Vec<OrderSummary>,
) -> QueryResult<Vec<OrderLine>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let counts: HashMap<i64, i64> = tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::order_id.eq_any(&ids))
        .group_by(tickets::order_id)
        .select((tickets::order_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let event_ids: Vec<i64> = rows.iter().map(|o| o.event_id).collect();
    let events = event_labels(conn, tenant, Some(&event_ids))?;
    Ok(rows
        .into_iter()
        .map(|order| {
            let EventLabel { name, currency } = events.get(&order.event_id).cloned().unwrap_or_default();
            OrderLine {
                tickets: counts.get(&order.id).copied().unwrap_or(0),
                event_name: name,
                currency,
                order,
            }
        })
        .collect())
}

/// The buyers' addresses as `user` may see them (masked without `SeeEmails`).
pub fn mask_emails(lines: &mut [OrderLine], user: &crate::auth::CurrentUser) {
    for line in lines {
        line.order.buyer_email = user.shown_email(&line.order.buyer_email);
    }
}
