//! Gate-alert queries, scoped by the tenant: the open alerts of events, and an alert's
//! acknowledgement.

use diesel::prelude::*;

use super::model::OpenAlert;
use crate::db::schema::{gate_alerts, gates};
use crate::db::{DbConnection, Tenant};

/// The open alerts of these events, oldest first (per event in the order they started).
pub fn open_alerts(conn: &mut DbConnection, tenant: &Tenant, event_ids: &[i64]) -> QueryResult<Vec<OpenAlert>> {
    if event_ids.is_empty() {
        return Ok(Vec::new());
    }
    gate_alerts::table
        .inner_join(gates::table)
        .filter(gate_alerts::organization_id.eq(tenant.organization_id()))
        .filter(gate_alerts::event_id.eq_any(event_ids))
        .filter(gate_alerts::closed_at.is_null())
        .order((gate_alerts::event_id, gate_alerts::started_at, gate_alerts::id))
        .select((
            gate_alerts::id,
            gate_alerts::event_id,
            gate_alerts::gate_id,
            gates::name,
            gate_alerts::device_id,
            gate_alerts::kind,
            gate_alerts::started_at,
            gate_alerts::last_seen_at,
            gate_alerts::detail,
            gate_alerts::acknowledged_at,
            gate_alerts::acknowledged_by,
        ))
        .load(conn)
}
