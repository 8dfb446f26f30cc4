//! What the order list and its export read beside the orders: the organisation's time
//! zone (dates are read in it; the events feature owns that query), and its events'
//! names and currencies.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::events;
use crate::db::{DbConnection, Tenant};
pub use crate::events::organization_timezone;

/// An event the list can be filtered by.
#[derive(Queryable, Clone, Debug)]
pub struct EventChoice {
    pub id: i64,
    pub name: String,
}

/// The tenant's events, for the event filter.
pub fn event_choices(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<Vec<EventChoice>> {
    events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .order((events::starts_at.desc(), events::id))
        .select((events::id, events::name))
        .load(conn)
}

/// What an order row shows of its event.
#[derive(Queryable, Clone, Debug, Default)]
pub struct EventLabel {
    pub name: String,
    pub currency: String,
}

/// The tenant's events' names and currencies by id (`only`: just these events).
pub fn event_labels(
    conn: &mut DbConnection,
    tenant: &Tenant,
    only: Option<&[i64]>,
) -> QueryResult<HashMap<i64, EventLabel>> {
    let mut query = events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .select((events::id, (events::name, events::currency)))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(events::id.eq_any(ids.to_vec()));
    }
    Ok(query.load::<(i64, EventLabel)>(conn)?.into_iter().collect())
}
