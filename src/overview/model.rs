//! What the overview shows of a live event, loaded: its counters from the live counters
//! (in process or Redis), tickets sold today and open alerts from the database.

use std::collections::HashMap;

use chrono_tz::Tz;
use diesel::prelude::*;

use crate::db::schema::tickets;
use crate::db::{DbConnection, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::events::{Event, EventSales};
use crate::gate_alerts::{open_alerts, OpenAlert};
use crate::orders::TicketStatus;
use crate::scanning::ScanCounters;
use crate::zones::{ZoneBoard, ZoneDirectory};

/// Doors open this long before an event starts; from then until it ends the event is
/// live on the overview.
pub const DOORS_OPEN_BEFORE_MS: i64 = 2 * 3_600_000;

/// Whether the event's doors are open at `now`.
pub fn is_live(event: &Event, now: i64) -> bool {
    now >= event.starts_at - DOORS_OPEN_BEFORE_MS && now <= event.ends_at
}

/// The viewer's events, split into those live now and the others (in list order).
pub fn split_live(events: Vec<EventSales>, now: i64) -> (Vec<Event>, Vec<EventSales>) {
    let (live, others): (Vec<EventSales>, Vec<EventSales>) =
        events.into_iter().partition(|sales| is_live(&sales.event, now));
    (live.into_iter().map(|sales| sales.event).collect(), others)
}

/// One live event's card.
#[derive(Clone, Debug)]
pub struct LiveRow {
    pub event: Event,
    pub inside: i64,
    pub per_minute: i64,
    pub sold_today: i64,
    pub alerts: Vec<OpenAlert>,
    /// The event's zones with their people (empty without zones).
    pub zones: ZoneBoard,
}

/// The cards of these live events: sales and alerts in one database visit, counts from
/// the live counters.
pub async fn load_rows(
    pool: &Pool,
    (counters, directory): (&dyn ScanCounters, &ZoneDirectory),
    tenant: Tenant,
    events: Vec<Event>,
    now: i64,
) -> Result<Vec<LiveRow>, AppError> {
    let zones: Vec<(i64, Tz)> = events.iter().map(|e| (e.id, *e.timezone)).collect();
    let (sold, mut alerts) = with_db(pool, move |conn| {
        let ids: Vec<i64> = zones.iter().map(|(id, _)| *id).collect();
        let sold = zones
            .iter()
            .map(|(id, zone)| Ok((*id, sold_today(conn, &tenant, *id, zone, now)?)))
            .collect::<QueryResult<HashMap<i64, i64>>>()?;
        let mut by_event: HashMap<i64, Vec<OpenAlert>> = HashMap::new();
        for alert in open_alerts(conn, &tenant, &ids)? {
            by_event.entry(alert.event_id).or_default().push(alert);
        }
        Ok((sold, by_event))
    })
    .await?;
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let counts = counters.event_counts(&tenant, event.id, now).await?;
        rows.push(LiveRow {
            zones: directory
                .board(tenant, event.id, &counts.zones, counts.occupancy)
                .await?,
            sold_today: sold.get(&event.id).copied().unwrap_or(0),
            alerts: alerts.remove(&event.id).unwrap_or_default(),
            inside: counts.occupancy,
            per_minute: counts.totals.per_minute,
            event,
        });
    }
    Ok(rows)
}

/// Tickets of the event sold since local midnight in its time zone (and still valid):
/// from the index on (organisation, event, created_at, status) alone.
pub fn sold_today(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, zone: &Tz, now: i64) -> QueryResult<i64> {
    let today = chrono::DateTime::from_timestamp_millis(now)
        .map(|utc| utc.with_timezone(zone).date_naive())
        .unwrap_or_default();
    let since = crate::forms::start_of_day(today, zone).unwrap_or(now);
    tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::created_at.ge(since))
        .filter(tickets::status.eq(TicketStatus::Valid))
        .count()
        .get_result(conn)
}
