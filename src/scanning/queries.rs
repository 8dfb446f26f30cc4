//! Scan queries and the admission decision, scoped by the tenant.

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::decision::GateDevice;
use crate::db::schema::{devices, gates, scans};
use crate::db::{DbConnection, Tenant};

/// Valid, duplicate and invalid counts of an event's scans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanTotals {
    pub valid: i64,
    pub duplicate: i64,
    pub invalid: i64,
}

pub fn scan_totals(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
) -> QueryResult<ScanTotals> {
    let rows: Vec<(String, i64)> = scans::table
        .filter(scans::organization_id.eq(tenant.organization_id()))
        .filter(scans::event_id.eq(event_id))
        .group_by(scans::result)
        .select((scans::result, count_star()))
        .load(conn)?;
    let of = |result: &str| {
        rows.iter()
            .find(|(r, _)| r == result)
            .map_or(0, |(_, n)| *n)
    };
    Ok(ScanTotals {
        valid: of("valid"),
        duplicate: of("duplicate"),
        invalid: of("invalid"),
    })
}

/// One line of the scan log.
#[derive(Queryable, Clone, Debug)]
pub struct ScanLine {
    pub id: i64,
    pub scanned_at: i64,
    pub gate: String,
    pub device: String,
    pub direction: String,
    pub result: String,
    pub reason: Option<String>,
}

/// The newest scans of an event, newest first.
pub fn latest_scans(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    limit: i64,
) -> QueryResult<Vec<ScanLine>> {
    scans::table
        .inner_join(gates::table)
        .inner_join(devices::table)
        .filter(scans::organization_id.eq(tenant.organization_id()))
        .filter(scans::event_id.eq(event_id))
        .order(scans::id.desc())
        .limit(limit)
        .select((
            scans::id,
            scans::scanned_at,
            gates::name,
            devices::name,
            scans::direction,
            scans::result,
            scans::reason,
        ))
        .load(conn)
}

/// The devices of an event, with their gates, for the simulator.
pub fn gate_devices(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
) -> QueryResult<Vec<GateDevice>> {
    devices::table
        .filter(devices::organization_id.eq(tenant.organization_id()))
        .filter(devices::event_id.eq(event_id))
        .filter(devices::revoked_at.is_null())
        .select((devices::id, devices::gate_id, devices::event_id))
        .load::<(i64, i64, i64)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(|(device_id, gate_id, event_id)| GateDevice {
                    device_id,
                    gate_id,
                    event_id,
                })
                .collect()
        })
}

/// The device a token belongs to, unless revoked. This is how the device API learns its
/// tenant, so it is the one device query without one.
pub fn find_device_by_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<(Tenant, GateDevice)>> {
    let row: Option<(i64, i64, i64, i64)> = devices::table
        .filter(devices::token_hash.eq(token_hash))
        .filter(devices::revoked_at.is_null())
        .select((
            devices::organization_id,
            devices::id,
            devices::gate_id,
            devices::event_id,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(org, device_id, gate_id, event_id)| {
        (
            Tenant::authenticated(org),
            GateDevice {
                device_id,
                gate_id,
                event_id,
            },
        )
    }))
}

/// What a device says about itself in a heartbeat.
pub struct DeviceReport {
    pub battery: Option<i32>,
    pub pending_uploads: Option<i32>,
    pub app_version: Option<String>,
}

pub fn record_heartbeat(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device_id: i64,
    report: &DeviceReport,
    now: i64,
) -> QueryResult<()> {
    diesel::update(
        devices::table
            .filter(devices::organization_id.eq(tenant.organization_id()))
            .filter(devices::id.eq(device_id)),
    )
    .set((
        devices::last_heartbeat_at.eq(now),
        devices::battery.eq(report.battery),
        devices::pending_uploads.eq(report.pending_uploads),
        devices::app_version.eq(report.app_version.as_deref()),
    ))
    .execute(conn)?;
    Ok(())
}

/// A device was heard from (a scan batch counts as much as a heartbeat).
pub fn mark_device_seen(conn: &mut DbConnection, device_id: i64, now: i64) -> QueryResult<()> {
    diesel::update(devices::table.filter(devices::id.eq(device_id)))
        .set(devices::last_heartbeat_at.eq(now))
        .execute(conn)?;
    Ok(())
}
