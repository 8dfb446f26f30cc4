//! `capacity.alert`, announced once: the caller (the dashboard, which knows what an
//! alert is) hands over an event's current alerts by key; one not yet announced is
//! inserted into `webhook_alerts` and queued in the same transaction, so of several
//! instances seeing it only the one whose insert lands announces it. An alert that no
//! instance has seen for a minute is deleted, so it is announced again when it returns;
//! the minute outlasts an instance's stale dashboard cache (30 s), whose missing alert
//! would otherwise end it and announce it twice.

use diesel::prelude::*;
use serde_json::Value;

use super::model::{EventKind, EventSet};
use super::queries::enqueue;
use crate::db::schema::{webhook_alerts, webhook_endpoints};
use crate::db::{self, DbConnection, Tenant};
use crate::with_backend;

/// The organisations with an enabled endpoint that receives `kind`.
pub fn subscribed_organizations(conn: &mut DbConnection, kind: EventKind) -> QueryResult<Vec<Tenant>> {
    let rows: Vec<(i64, String)> = webhook_endpoints::table
        .filter(webhook_endpoints::disabled_at.is_null())
        .filter(webhook_endpoints::events.like(format!("%{}%", kind.as_str())))
        .select((webhook_endpoints::organization_id, webhook_endpoints::events))
        .load(conn)?;
    let mut orgs: Vec<i64> = rows
        .into_iter()
        .filter(|(_, events)| EventSet::from_stored(events).contains(kind))
        .map(|(org, _)| org)
        .collect();
    orgs.sort_unstable();
    orgs.dedup();
    Ok(orgs.into_iter().map(Tenant::authenticated).collect())
}

/// An alert not seen for this long has ended.
const FORGET_AFTER_MS: i64 = 60_000;
/// A current alert's `last_seen_at` is moved at most this often.
const SEEN_EVERY_MS: i64 = 10_000;

/// Announces each of the event's `current` alerts (key, delivery data) not announced
/// yet and forgets those not seen for a minute; how many were announced.
pub fn announce_alerts(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    current: &[(String, Value)],
    now: i64,
) -> QueryResult<usize> {
    let org = tenant.organization_id();
    // Read first: most looks change nothing, and then take no write lock.
    let known: Vec<(String, i64)> = webhook_alerts::table
        .filter(webhook_alerts::organization_id.eq(org))
        .filter(webhook_alerts::event_id.eq(event_id))
        .select((webhook_alerts::alert_key, webhook_alerts::last_seen_at))
        .load(conn)?;
    let is_current = |key: &str| current.iter().any(|(k, _)| k == key);
    let unchanged = current
        .iter()
        .all(|(key, _)| known.iter().any(|(k, seen)| k == key && *seen >= now - SEEN_EVERY_MS))
        && known
            .iter()
            .all(|(key, seen)| is_current(key) || *seen >= now - FORGET_AFTER_MS);
    if unchanged {
        return Ok(0);
    }
    db::write_transaction(conn, |conn| {
        let keys: Vec<&str> = current.iter().map(|(key, _)| key.as_str()).collect();
        diesel::delete(
            webhook_alerts::table
                .filter(webhook_alerts::organization_id.eq(org))
                .filter(webhook_alerts::event_id.eq(event_id))
                .filter(webhook_alerts::alert_key.ne_all(&keys))
                .filter(webhook_alerts::last_seen_at.lt(now - FORGET_AFTER_MS)),
        )
        .execute(conn)?;
        let mut announced = 0;
        for (key, data) in current {
            let values = (
                webhook_alerts::organization_id.eq(org),
                webhook_alerts::event_id.eq(event_id),
                webhook_alerts::alert_key.eq(key),
                webhook_alerts::began_at.eq(now),
                webhook_alerts::last_seen_at.eq(now),
            );
            let inserted = with_backend!(conn, |c| diesel::insert_into(webhook_alerts::table)
                .values(values)
                .on_conflict_do_nothing()
                .execute(c))?;
            if inserted == 1 {
                enqueue(conn, tenant, EventKind::CapacityAlert, data, now)?;
                announced += 1;
            } else {
                diesel::update(
                    webhook_alerts::table
                        .filter(webhook_alerts::organization_id.eq(org))
                        .filter(webhook_alerts::event_id.eq(event_id))
                        .filter(webhook_alerts::alert_key.eq(key))
                        .filter(webhook_alerts::last_seen_at.lt(now - SEEN_EVERY_MS)),
                )
                .set(webhook_alerts::last_seen_at.eq(now))
                .execute(conn)?;
            }
        }
        Ok(announced)
    })
}
