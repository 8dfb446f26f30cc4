//! Events: the event model with its time zone and entry policy, the organisation's
//! events (listed by `overview/` at `GET /events`), and loading one event for the pages
//! about it (the dashboard, the scan monitor, kiosks). `GET /` sends to the list.

pub mod handlers;
pub mod model;
pub mod queries;

pub use model::{EntryPolicy, Event, EventSales, Phase, TimeZone};
pub use queries::{entry_policy, list_events, organization_timezone, set_entry_policy, tenant_of_event};

use crate::db::{Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;

/// One of the tenant's events, or `NotFound` (also for another organisation's id).
pub async fn load_event(pool: &Pool, tenant: Tenant, event_id: i64) -> Result<Event, AppError> {
    with_db(pool, move |conn| Ok(queries::find_event(conn, &tenant, event_id)?)).await
}
