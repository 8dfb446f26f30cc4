//! Events: the organisation's event list (`GET /events`), the event model with its time
//! zone, and loading one event for the pages about it (the dashboard, the scan monitor,
//! kiosks).

pub mod handlers;
pub mod model;
pub mod queries;
mod views;

pub use model::{Event, EventSales, Phase, TimeZone};
pub use queries::{event_names, organization_timezone};

use crate::db::{Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;

/// One of the tenant's events, or `NotFound` (also for another organisation's id).
pub async fn load_event(pool: &Pool, tenant: Tenant, event_id: i64) -> Result<Event, AppError> {
    with_db(pool, move |conn| Ok(queries::find_event(conn, &tenant, event_id)?)).await
}
