//! Event queries, all scoped by the tenant.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::{events, tickets};
use crate::db::{DbConnection, Tenant};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i64,
    pub name: String,
    pub venue: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub timezone: String,
    pub capacity: i64,
    pub currency: String,
    pub sales_open_at: i64,
}

/// Where an event stands in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Upcoming,
    Live,
    Ended,
}

impl Event {
    pub fn phase(&self, now: i64) -> Phase {
        if now < self.starts_at {
            Phase::Upcoming
        } else if now <= self.ends_at {
            Phase::Live
        } else {
            Phase::Ended
        }
    }
}

/// The tenant's events, soonest first, with their sold ticket counts.
pub fn list_events(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<Vec<(Event, i64)>> {
    let list: Vec<Event> = events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .order((events::starts_at.desc(), events::id))
        .select(Event::as_select())
        .load(conn)?;
    let sold: Vec<(i64, i64)> = tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::status.eq("valid"))
        .group_by(tickets::event_id)
        .select((tickets::event_id, count_star()))
        .load(conn)?;
    Ok(list
        .into_iter()
        .map(|event| {
            let count = sold.iter().find(|(id, _)| *id == event.id).map_or(0, |(_, n)| *n);
            (event, count)
        })
        .collect())
}

/// One of the tenant's events; another organisation's id is `NotFound`, like a missing one.
pub fn find_event(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Event> {
    events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .filter(events::id.eq(event_id))
        .select(Event::as_select())
        .first(conn)
}
