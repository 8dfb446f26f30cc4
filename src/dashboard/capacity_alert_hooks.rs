//! The `capacity.alert` webhook: every few seconds, for each organisation with an
//! endpoint that receives it, each event on sale or under way has its dashboard alerts
//! (from the metrics cache, so no extra work while nothing changed) handed to
//! `webhooks::announce_alerts`, which announces each alert once when it begins.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{json, Value};

use super::cache::MetricsCache;
use super::model::{Alert, AlertLevel, AlertSubject};
use crate::db::schema::events;
use crate::db::{self, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::events::{load_event, Event};
use crate::live::{Shutdown, Ticker};
use crate::webhooks::{self, EventKind};

/// Starts the look every `every`; it ends when the server stops.
pub fn start_capacity_alert_hooks(pool: Pool, cache: Arc<MetricsCache>, every: Duration, shutdown: Shutdown) {
    tokio::spawn(async move {
        let mut ticker = Ticker::new(every, Some(shutdown));
        while ticker.next_round().await {
            if let Err(e) = look(&pool, &cache).await {
                tracing::warn!(error = %e, "capacity.alert round failed");
            }
        }
    });
}

async fn look(pool: &Pool, cache: &MetricsCache) -> Result<(), AppError> {
    let tenants = with_db(pool, |conn| {
        Ok(webhooks::subscribed_organizations(conn, EventKind::CapacityAlert)?)
    })
    .await?;
    for tenant in tenants {
        let now = db::now_ms();
        let open: Vec<i64> = with_db(pool, move |conn| {
            Ok(events::table
                .filter(events::organization_id.eq(tenant.organization_id()))
                .filter(events::sales_open_at.le(now))
                .filter(events::ends_at.gt(now))
                .select(events::id)
                .load(conn)?)
        })
        .await?;
        for event_id in open {
            let event = load_event(pool, tenant, event_id).await?;
            let metrics = cache.get_event_metrics(tenant, &event).await?;
            let current: Vec<(String, Value)> = metrics.alerts.iter().map(|a| described(&event, a)).collect();
            announce(pool, tenant, event_id, current).await?;
        }
    }
    Ok(())
}

async fn announce(pool: &Pool, tenant: Tenant, event_id: i64, current: Vec<(String, Value)>) -> Result<(), AppError> {
    with_db(pool, move |conn| {
        Ok(webhooks::announce_alerts(
            conn,
            &tenant,
            event_id,
            &current,
            db::now_ms(),
        )?)
    })
    .await?;
    Ok(())
}

/// An alert's key (what makes it the same alert from one look to the next) and its
/// delivery data.
fn described(event: &Event, alert: &Alert) -> (String, Value) {
    let level = match alert.level {
        AlertLevel::Near => "near",
        AlertLevel::Full => "full",
    };
    let (subject, ticket_type, zone) = match &alert.subject {
        AlertSubject::Occupancy => ("occupancy", None, None),
        AlertSubject::TicketType(name) => ("ticket_type", Some(name.as_str()), None),
        AlertSubject::Zone(name) => ("zone", None, Some(name.as_str())),
    };
    let key = format!("{subject}:{}:{level}", ticket_type.or(zone).unwrap_or(""));
    let since = chrono::DateTime::from_timestamp_millis(alert.since)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    let data = json!({
        "event_id": event.id, "event_name": event.name, "subject": subject, "ticket_type": ticket_type,
        "zone": zone, "level": level, "since": since,
    });
    (key, data)
}
