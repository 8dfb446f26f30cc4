//! One order as the list shows it, the filter's scope on the orders table (status,
//! event, dates of the tenant) and the search key (the text index's newest-first order):
//! what the list's queries (`search.rs`, `text_index.rs`, `buyer_match.rs`) share.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::filter::{Cursor, OrderFilter};
use crate::db::schema::orders;
use crate::db::{MultiBackend, Tenant};
use crate::orders::model::OrderStatus;

#[derive(Queryable, QueryableByName, Selectable, Clone, Debug)]
#[diesel(table_name = orders)]
pub struct OrderSummary {
    pub id: i64,
    pub event_id: i64,
    pub code: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub status: OrderStatus,
    pub gross: i64,
    pub created_at: i64,
}

impl OrderSummary {
    /// The cursor of the page that starts after this order.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id,
        }
    }
}

impl OrderSummary {
    pub fn search_key(&self) -> i64 {
        search_key(self.created_at, self.id)
    }
}

/// Orders one millisecond apart are this far apart in the search key.
pub const KEY_STEP: i64 = 1 << 21;
const ID_MASK: i64 = KEY_STEP - 1;

/// Where an order sits in the search's newest-first order.
pub fn search_key(created_at: i64, id: i64) -> i64 {
    created_at.saturating_mul(KEY_STEP).saturating_add(id & ID_MASK)
}

/// `orders.created_at`, or with free text the same value in a form no index serves.
pub(super) fn created_at(by_text: bool) -> Box<dyn BoxableExpression<orders::table, MultiBackend, SqlType = BigInt>> {
    if by_text {
        Box::new(sql::<BigInt>("(orders.created_at + 0)"))
    } else {
        Box::new(orders::created_at)
    }
}

/// The tenant's orders that pass the filter's status, event and dates, as a boxed
/// query (the text is the caller's). `by_text`: the text drives, so these filters are
/// written so that no index serves them (`+ 0`, `|| ''`) and the planner never walks a
/// large event, status or date range checking each order against the text.
pub(super) fn scoped(
    tenant: &Tenant,
    filter: &OrderFilter,
    by_text: bool,
) -> orders::BoxedQuery<'static, MultiBackend> {
    let mut query = orders::table
        .filter(orders::organization_id.eq(tenant.organization_id()))
        .into_boxed();
    if let Some(status) = filter.status {
        query = if by_text {
            query.filter(sql::<Text>("(orders.status || '')").eq(status))
        } else {
            query.filter(orders::status.eq(status))
        };
    }
    if let Some(event_id) = filter.event_id {
        query = if by_text {
            query.filter(sql::<BigInt>("(orders.event_id + 0)").eq(event_id))
        } else {
            query.filter(orders::event_id.eq(event_id))
        };
    }
    if let Some(from) = filter.created_from {
        query = query.filter(created_at(by_text).ge(from));
    }
    if let Some(before) = filter.created_before {
        query = query.filter(created_at(by_text).lt(before));
    }
    query
}
