//! Which zones each event has (names, capacities, last headcounts, the gates' passages),
//! kept for two seconds: every live render of the monitor, the kiosks and the overview
//! asks, and most events have no zones, so most renders then read nothing. A change made
//! on this instance is seen at once (`forget`); one made on another within two seconds.
//! The people in each zone come from the live counters, never from here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::QueryResult;

use super::gauges::{board_of, ZoneBoard};
use super::model::EventZones;
use super::queries;
use crate::db::{DbConnection, Pool, Tenant};
use crate::error::{with_db, AppError};

/// How long an event's zones are kept before they are read again.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// Each event's zones by (organisation, event), with when they were read.
type Kept = HashMap<(i64, i64), (Instant, Arc<EventZones>)>;

/// The zones of the events being shown.
pub struct ZoneDirectory {
    pool: Pool,
    events: Mutex<Kept>,
}

impl ZoneDirectory {
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            events: Mutex::default(),
        }
    }

    /// The event's zones, read again when older than two seconds.
    pub async fn zones(&self, tenant: Tenant, event_id: i64) -> Result<Arc<EventZones>, AppError> {
        let key = (tenant.organization_id(), event_id);
        if let Some((read, zones)) = self.lock().get(&key) {
            if read.elapsed() < FRESH_FOR {
                return Ok(Arc::clone(zones));
            }
        }
        let zones = Arc::new(with_db(&self.pool, move |conn| Ok(read(conn, &tenant, event_id)?)).await?);
        let mut events = self.lock();
        events.retain(|_, (read, _)| read.elapsed() < FRESH_FOR);
        events.insert(key, (Instant::now(), Arc::clone(&zones)));
        Ok(zones)
    }

    /// The event's gauges with the counters' numbers.
    pub async fn board(
        &self,
        tenant: Tenant,
        event_id: i64,
        people: &HashMap<i64, i64>,
        inside: i64,
    ) -> Result<ZoneBoard, AppError> {
        Ok(board_of(self.zones(tenant, event_id).await?.as_ref(), people, inside))
    }

    /// Drops what this instance kept of the event's zones (after a change here).
    pub fn forget(&self, tenant: &Tenant, event_id: i64) {
        self.lock().remove(&(tenant.organization_id(), event_id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The event's gauges read now with the counters' numbers (where a screen's frame is
/// read from the database anyway: the dashboard's metrics). The gauges need no passages.
pub fn board(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    people: &HashMap<i64, i64>,
    inside: i64,
) -> QueryResult<ZoneBoard> {
    let zones = queries::zones_of_event(conn, tenant, event_id)?;
    let marks = match zones.is_empty() {
        true => HashMap::new(),
        false => queries::correction_marks(conn, tenant, event_id)?,
    };
    Ok(board_of(&EventZones::of(zones, marks, &[]), people, inside))
}

/// Reads an event's zones; an event without zones costs one indexed look.
pub fn read(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<EventZones> {
    let zones = queries::zones_of_event(conn, tenant, event_id)?;
    if zones.is_empty() {
        return Ok(EventZones::default());
    }
    let marks = queries::correction_marks(conn, tenant, event_id)?;
    Ok(EventZones::of(
        zones,
        marks,
        &queries::passages(conn, tenant, event_id)?,
    ))
}
