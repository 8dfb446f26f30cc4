//! The dashboard's alerts: occupancy past 90 % of the venue, ticket types past 90 %
//! sold or sold out, each with the moment it happened.

use diesel::prelude::*;

use super::model::{Alert, AlertLevel, AlertSubject, TicketTypeSales};
use crate::db::schema::tickets;
use crate::db::{DbConnection, Tenant};
use crate::events::Event;
use crate::orders::TicketStatus;

/// Where alerts start: 90 % of a capacity.
const WARN_PERCENT: i64 = 90;

/// The threshold of a level: the n-th ticket or person that passes it.
fn threshold(capacity: i64, level: AlertLevel) -> i64 {
    match level {
        AlertLevel::Near => (capacity * WARN_PERCENT + 99) / 100,
        AlertLevel::Full => capacity,
    }
}

/// Past 90 % or full, or neither (also with no capacity set).
pub fn level_of(count: i64, capacity: i64) -> Option<AlertLevel> {
    if capacity <= 0 {
        None
    } else if count >= threshold(capacity, AlertLevel::Full) {
        Some(AlertLevel::Full)
    } else if count >= threshold(capacity, AlertLevel::Near) {
        Some(AlertLevel::Near)
    } else {
        None
    }
}

/// Occupancy past 90 % of the venue, and ticket types past 90 % sold or sold out, each
/// with the moment it happened: when the n-th person still inside came in, or when the
/// n-th ticket still sold was bought.
pub fn alerts(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event: &Event,
    types: &[TicketTypeSales],
    inside: i64,
    now: i64,
) -> QueryResult<Vec<Alert>> {
    let org = tenant.organization_id();
    let mut alerts = Vec::new();
    if let Some(level) = level_of(inside, event.capacity) {
        // The threshold-th earliest of those inside is the (inside - threshold + 1)-th
        // latest: counted from the latest, a venue just past 90 % reads a few rows,
        // not 90 % of its capacity.
        let since: Option<Option<i64>> = tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::event_id.eq(event.id))
            .filter(tickets::inside_since.is_not_null())
            .order(tickets::inside_since.desc())
            .offset(inside - threshold(event.capacity, level))
            .select(tickets::inside_since)
            .first(conn)
            .optional()?;
        alerts.push(Alert {
            subject: AlertSubject::Occupancy,
            level,
            since: since.flatten().unwrap_or(now),
        });
    }
    for ticket_type in types {
        let Some(level) = level_of(ticket_type.sold, ticket_type.capacity) else {
            continue;
        };
        let since: Option<i64> = tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::event_id.eq(event.id))
            .filter(tickets::ticket_type_id.eq(ticket_type.id))
            .filter(tickets::status.eq(TicketStatus::Valid))
            .order(tickets::created_at)
            .offset(threshold(ticket_type.capacity, level) - 1)
            .select(tickets::created_at)
            .first(conn)
            .optional()?;
        alerts.push(Alert {
            subject: AlertSubject::TicketType(ticket_type.name.clone()),
            level,
            since: since.unwrap_or(now),
        });
    }
    Ok(alerts)
}

/// Each zone past 90 % of its capacity, or full, "since" `now`: the cache keeps the
/// moment a zone's alert was first seen while it lasts (`MetricsCache`).
pub fn zone_alerts(zones: &crate::zones::ZoneBoard, now: i64) -> Vec<Alert> {
    zones
        .gauges
        .iter()
        .filter_map(|gauge| {
            level_of(gauge.people, gauge.capacity).map(|level| Alert {
                subject: AlertSubject::Zone(gauge.name.clone()),
                level,
                since: now,
            })
        })
        .collect()
}
