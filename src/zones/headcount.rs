//! A supervisor's headcount: a counted number for a zone (a clicker count or a sweep)
//! that corrects its count. The drift (counted − shown) is stored with who counted and
//! when, the zone's correction becomes counted − tickets in it (so the zone shows what
//! was counted, and moves with the scans from there), an audit entry says it, and the
//! live counters take the correction, the event's inside count with it. All of it is
//! in the database, so it survives a restart and a Redis rebuild.

use std::collections::HashMap;

use super::queries::{self, NewCorrection};
use super::setup::audited;
use crate::audit::Action;
use crate::db::{self, DbConnection, Tenant};
use crate::error::AppError;
use crate::live::{Bus, Channel, Update, UpdateKind};
use crate::scanning::ScanCounters;

/// What a headcount did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Corrected {
    pub zone: String,
    /// Counted less shown.
    pub drift: i64,
    /// The event's corrections by zone, as they now stand.
    pub corrections: HashMap<i64, i64>,
}

/// Stores the headcount and its audit entry in one transaction; another organisation's
/// zone, or one of another event, is `NotFound`.
pub fn record_headcount(
    conn: &mut DbConnection,
    tenant: &Tenant,
    by: Option<i64>,
    event_id: i64,
    zone_id: i64,
    counted: i64,
) -> Result<Corrected, AppError> {
    Ok(db::write_transaction(conn, |conn| {
        queries::lock_zone(conn, tenant, zone_id)?;
        let zones = queries::zones_of_event(conn, tenant, event_id)?;
        let zone = zones
            .iter()
            .find(|zone| zone.id == zone_id)
            .ok_or(diesel::result::Error::NotFound)?;
        let shown = zone.inside + zone.correction;
        let new = NewCorrection {
            event_id,
            zone_id,
            counted,
            shown,
            correction: counted - zone.inside,
            user_id: by,
            at: db::now_ms(),
        };
        queries::insert_correction(conn, tenant, &new)?;
        let drift = counted - shown;
        let details = format!("{}: counted {counted}, showed {shown} ({drift:+})", zone.name);
        audited(conn, tenant, Action::HeadcountCorrected, by, event_id, &details)?;
        let mut corrections: HashMap<i64, i64> = zones.iter().map(|z| (z.id, z.correction)).collect();
        corrections.insert(zone_id, new.correction);
        Ok(Corrected {
            zone: zone.name.clone(),
            drift,
            corrections,
        })
    })?)
}

/// After the headcount is stored: the counters count it, and every screen of the event
/// redraws its gauges.
pub async fn announce(
    counters: &dyn ScanCounters,
    bus: &dyn Bus,
    tenant: &Tenant,
    event_id: i64,
    corrected: Corrected,
) -> Result<(), AppError> {
    counters
        .set_corrections(tenant, event_id, corrected.corrections)
        .await?;
    for channel in [Channel::occupancy(tenant, event_id), Channel::scans(tenant, event_id)] {
        bus.publish(Update {
            channel,
            kind: UpdateKind::ScanOccurred,
        });
    }
    Ok(())
}
