//! Headcounts' SQL: storing one with the zone's new correction, each zone's last one
//! (its mark), and the zone's row held while a headcount is taken.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{users, zone_corrections, zones};
use crate::db::{DbConnection, Tenant};
use crate::zones::model::CorrectionMark;

/// A headcount as stored.
pub struct NewCorrection {
    pub event_id: i64,
    pub zone_id: i64,
    pub counted: i64,
    pub shown: i64,
    pub correction: i64,
    pub user_id: Option<i64>,
    pub at: i64,
}

/// Stores a headcount and the zone's new correction.
pub fn insert_correction(conn: &mut DbConnection, tenant: &Tenant, new: &NewCorrection) -> QueryResult<()> {
    diesel::insert_into(zone_corrections::table)
        .values((
            zone_corrections::organization_id.eq(tenant.organization_id()),
            zone_corrections::event_id.eq(new.event_id),
            zone_corrections::zone_id.eq(new.zone_id),
            zone_corrections::counted.eq(new.counted),
            zone_corrections::shown.eq(new.shown),
            zone_corrections::correction.eq(new.correction),
            zone_corrections::user_id.eq(new.user_id),
            zone_corrections::created_at.eq(new.at),
        ))
        .execute(conn)?;
    diesel::update(zones::table)
        .filter(zones::organization_id.eq(tenant.organization_id()))
        .filter(zones::id.eq(new.zone_id))
        .set(zones::correction.eq(new.correction))
        .execute(conn)?;
    Ok(())
}

/// Each zone's last headcount: when, by whom, and by how much it moved the count.
pub fn correction_marks(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
) -> QueryResult<HashMap<i64, CorrectionMark>> {
    let rows: Vec<(i64, i64, i64, i64, Option<String>)> = zone_corrections::table
        .left_join(users::table.on(users::id.nullable().eq(zone_corrections::user_id)))
        .filter(zone_corrections::organization_id.eq(tenant.organization_id()))
        .filter(zone_corrections::event_id.eq(event_id))
        .order(zone_corrections::id)
        .select((
            zone_corrections::zone_id,
            zone_corrections::created_at,
            zone_corrections::counted,
            zone_corrections::shown,
            users::name.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(zone, at, counted, shown, by)| {
            let by = by.unwrap_or_else(|| "the command line".into());
            let drift = counted - shown;
            (zone, CorrectionMark { at, by, drift })
        })
        .collect())
}

/// Holds the zone's row until the transaction ends (PostgreSQL; SQLite's writer holds
/// the whole database), so the gate engine cannot move its count between a headcount's
/// read and its write.
pub fn lock_zone(conn: &mut DbConnection, tenant: &Tenant, zone_id: i64) -> QueryResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        zones::table
            .filter(zones::organization_id.eq(tenant.organization_id()))
            .filter(zones::id.eq(zone_id))
            .select(zones::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}
