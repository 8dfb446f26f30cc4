//! What scanning devices say about themselves (battery, uploads waiting, app version):
//! stored, then told to the event's monitors, in one function for the device API and
//! the demo simulator alike.

use diesel::QueryResult;

use super::queries::{self, DeviceReport};
use crate::db::{DbConnection, Tenant};
use crate::live::{Bus, Channel, Update, UpdateKind};

/// One device's report.
pub struct Heartbeat {
    pub device_id: i64,
    pub report: DeviceReport,
}

/// Stores the heartbeats of devices of one event, then publishes one update for the
/// event's monitors, however many devices reported.
pub fn record_heartbeats(
    conn: &mut DbConnection,
    bus: &dyn Bus,
    tenant: &Tenant,
    event_id: i64,
    heartbeats: &[Heartbeat],
    now: i64,
) -> QueryResult<()> {
    for heartbeat in heartbeats {
        queries::record_heartbeat(conn, tenant, heartbeat.device_id, &heartbeat.report, now)?;
    }
    bus.publish(Update {
        channel: Channel::scans(tenant, event_id),
        kind: UpdateKind::DeviceReported,
    });
    Ok(())
}
