//! Acknowledging an alert: who saw it and when, written with its audit entry in one
//! transaction, then announced. Idempotent: acknowledging an alert acknowledged before
//! (by anyone) changes nothing, writes no second audit entry and answers the same; an
//! alert of another organisation or event, or none at all, is not found.

use diesel::prelude::*;

use crate::audit::{self, Action, Entry, Subject};
use crate::db::schema::gate_alerts;
use crate::db::{self, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::live::Bus;

/// Who acknowledges which alert of which event.
#[derive(Clone, Copy, Debug)]
pub struct Acknowledgement {
    pub tenant: Tenant,
    pub user_id: i64,
    pub event_id: i64,
    pub alert_id: i64,
}

/// Whether this call acknowledged it (false: it was acknowledged before).
pub async fn acknowledge_alert(pool: &Pool, bus: &dyn Bus, ack: Acknowledgement) -> Result<bool, AppError> {
    let Acknowledgement {
        tenant,
        user_id,
        event_id,
        alert_id,
    } = ack;
    let acknowledged = with_db(pool, move |conn| {
        let now = db::now_ms();
        Ok(db::write_transaction(conn, |conn| {
            let of_event = gate_alerts::table
                .filter(gate_alerts::organization_id.eq(tenant.organization_id()))
                .filter(gate_alerts::event_id.eq(event_id))
                .filter(gate_alerts::id.eq(alert_id));
            let found: Option<(String, i64)> = of_event
                .select((gate_alerts::kind, gate_alerts::gate_id))
                .first(conn)
                .optional()?;
            let Some((kind, gate_id)) = found else { return Ok(None) };
            let changed = diesel::update(of_event.filter(gate_alerts::acknowledged_at.is_null()))
                .set((
                    gate_alerts::acknowledged_at.eq(now),
                    gate_alerts::acknowledged_by.eq(user_id),
                ))
                .execute(conn)?;
            if changed == 1 {
                let details = format!("{kind} at gate {gate_id}, event {event_id}");
                let entry = Entry {
                    action: Action::AlertAcknowledged,
                    user_id: Some(user_id),
                    subject: Subject::GateAlert(alert_id),
                    details: &details,
                };
                audit::record(conn, &tenant, &entry, now)?;
            }
            Ok(Some(changed == 1))
        })?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    if acknowledged {
        super::detector::announce(bus, &tenant, event_id);
    }
    Ok(acknowledged)
}
