//! Scan queries and the admission decision, scoped by the tenant.

use diesel::prelude::*;

use super::api::device_tokens::KnownDevices;
use super::feed::LogFilter;
use super::model::{Direction, GateDevice, ScanResult};
use crate::db::schema::{devices, events, gates, scans};
use crate::db::{DbConnection, Tenant};
use crate::domain::TimeZone;
use crate::with_backend;

/// One line of the scan log.
#[derive(Queryable, Clone, Debug)]
pub struct ScanLine {
    pub id: i64,
    pub scanned_at: i64,
    pub gate: String,
    pub device: String,
    pub direction: Direction,
    pub result: ScanResult,
    pub reason: Option<String>,
}

/// What a `ScanLine` is read from: scans joined with their gate and device.
#[allow(clippy::type_complexity)]
pub const SCAN_LINE_COLUMNS: (
    scans::id,
    scans::scanned_at,
    gates::name,
    devices::name,
    scans::direction,
    scans::result,
    scans::reason,
) = (
    scans::id,
    scans::scanned_at,
    gates::name,
    devices::name,
    scans::direction,
    scans::result,
    scans::reason,
);

/// The newest scans of an event that pass the filter, newest first.
pub fn latest_scans(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    filter: &LogFilter,
    limit: i64,
) -> QueryResult<Vec<ScanLine>> {
    let mut query = scans::table
        .inner_join(gates::table)
        .inner_join(devices::table)
        .filter(scans::organization_id.eq(tenant.organization_id()))
        .filter(scans::event_id.eq(event_id))
        .into_boxed();
    if let Some(gate_id) = filter.gate_id {
        query = query.filter(scans::gate_id.eq(gate_id));
    }
    if let Some(device_id) = filter.device_id {
        query = query.filter(scans::device_id.eq(device_id));
    }
    if let Some(result) = filter.result {
        query = query.filter(scans::result.eq(result));
    }
    query
        .order(scans::id.desc())
        .limit(limit)
        .select(SCAN_LINE_COLUMNS)
        .load(conn)
}

/// A gate of the event.
#[derive(Queryable, Clone, Debug)]
pub struct Gate {
    pub id: i64,
    pub name: String,
}

pub fn event_gates(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<Gate>> {
    gates::table
        .filter(gates::organization_id.eq(tenant.organization_id()))
        .filter(gates::event_id.eq(event_id))
        .order(gates::name)
        .select((gates::id, gates::name))
        .load(conn)
}

/// A scanning device as the monitor's device table shows it.
#[derive(Queryable, Clone, Debug)]
pub struct DeviceRow {
    pub id: i64,
    pub name: String,
    pub gate_id: i64,
    pub last_seen: Option<i64>,
    pub battery: Option<i32>,
    pub pending_uploads: Option<i32>,
}

/// The event's devices that are not revoked, by gate and name.
pub fn event_devices(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<DeviceRow>> {
    devices::table
        .filter(devices::organization_id.eq(tenant.organization_id()))
        .filter(devices::event_id.eq(event_id))
        .filter(devices::revoked_at.is_null())
        .order((devices::gate_id, devices::name))
        .select((
            devices::id,
            devices::name,
            devices::gate_id,
            devices::last_heartbeat_at,
            devices::battery,
            devices::pending_uploads,
        ))
        .load(conn)
}

/// The devices of an event, with their gates, for the simulator.
pub fn gate_devices(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<GateDevice>> {
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

/// Every unrevoked device by its token hash: how the device API learns a device's
/// tenant, so it is the one device query without one.
pub fn unrevoked_devices(conn: &mut DbConnection) -> QueryResult<KnownDevices> {
    let rows: Vec<(String, i64, i64, i64, i64)> = devices::table
        .filter(devices::revoked_at.is_null())
        .select((
            devices::token_hash,
            devices::organization_id,
            devices::id,
            devices::gate_id,
            devices::event_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(hash, org, device_id, gate_id, event_id)| {
            let device = GateDevice {
                device_id,
                gate_id,
                event_id,
            };
            (hash, (Tenant::authenticated(org), device))
        })
        .collect())
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

/// How a device's scans are labelled in the log.
pub struct DeviceLabel {
    pub gate_id: i64,
    pub gate: String,
    pub device: String,
    pub timezone: TimeZone,
}

pub fn device_label(conn: &mut DbConnection, tenant: &Tenant, device_id: i64) -> QueryResult<DeviceLabel> {
    devices::table
        .inner_join(gates::table)
        .inner_join(events::table.on(events::id.eq(devices::event_id)))
        .filter(devices::organization_id.eq(tenant.organization_id()))
        .filter(devices::id.eq(device_id))
        .select((gates::id, gates::name, devices::name, events::timezone))
        .first::<(i64, String, String, TimeZone)>(conn)
        .map(|(gate_id, gate, device, timezone)| DeviceLabel {
            gate_id,
            gate,
            device,
            timezone,
        })
}

/// The newest scan id: rows up to it are in the database, not in any live buffer.
pub fn newest_scan_id(conn: &mut DbConnection) -> QueryResult<i64> {
    scans::table
        .select(diesel::dsl::max(scans::id))
        .first::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// A ticket of the event as a scanner's offline copy needs it.
pub struct TicketState {
    pub code: String,
    pub status: String,
    pub inside: bool,
    /// Whether the gate admits its ticket type.
    pub admitted_here: bool,
}

/// Every ticket of the tenant's event, with whether `gate_id` admits its type (a gate
/// that lists no types admits all).
pub fn ticket_states(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    gate_id: i64,
) -> QueryResult<Vec<TicketState>> {
    use crate::db::schema::{gate_ticket_types, tickets};
    let allowed: Vec<i64> = gate_ticket_types::table
        .filter(gate_ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(gate_ticket_types::gate_id.eq(gate_id))
        .select(gate_ticket_types::ticket_type_id)
        .load(conn)?;
    let rows: Vec<(String, String, Option<i64>, i64)> = tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::event_id.eq(event_id))
        .select((
            tickets::code,
            tickets::status,
            tickets::inside_since,
            tickets::ticket_type_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, status, inside_since, ticket_type)| TicketState {
            code,
            status,
            inside: inside_since.is_some(),
            admitted_here: allowed.is_empty() || allowed.contains(&ticket_type),
        })
        .collect())
}

/// The gate of that name at the event, created when missing.
pub fn find_or_create_gate(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, name: &str) -> QueryResult<i64> {
    let existing = gates::table
        .filter(gates::organization_id.eq(tenant.organization_id()))
        .filter(gates::event_id.eq(event_id))
        .filter(gates::name.eq(name))
        .select(gates::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    with_backend!(conn, |c| diesel::insert_into(gates::table)
        .values((
            gates::organization_id.eq(tenant.organization_id()),
            gates::event_id.eq(event_id),
            gates::name.eq(name),
        ))
        .returning(gates::id)
        .get_result(c))
}
