//! The events' domain model: an event, where it stands in time, and the time zone its
//! (and an organisation's) local times are read in, stored as its IANA name and parsed
//! once at load: an unknown zone in the database is a load error, never UTC in disguise;
//! and its entry policy (who may come in again).

pub use crate::domain::{EntryPolicy, TimeZone};
use diesel::prelude::*;

use crate::db::schema::events;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i64,
    pub name: String,
    pub venue: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub timezone: TimeZone,
    pub capacity: i64,
    pub currency: String,
    pub sales_open_at: i64,
    pub entry_policy: EntryPolicy,
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

/// An event with the tickets it has sold (and not refunded), for the event list.
#[derive(Clone, Debug)]
pub struct EventSales {
    pub event: Event,
    pub sold: i64,
}
