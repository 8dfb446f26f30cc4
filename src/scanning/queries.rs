//! Scan queries and the admission decision, scoped by the tenant.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::{devices, gates, scans, tickets};
use crate::db::{self, DbConnection, Tenant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanResult {
    Valid,
    Duplicate,
    Invalid,
}

impl ScanResult {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Duplicate => "duplicate",
            Self::Invalid => "invalid",
        }
    }
}

/// The scanning device a scan came from, and the gate and event it serves.
#[derive(Clone, Copy, Debug)]
pub struct GateDevice {
    pub device_id: i64,
    pub gate_id: i64,
    pub event_id: i64,
}

/// One scan as the device reports it.
#[derive(Clone, Debug)]
pub struct ScanAttempt {
    pub device_scan_id: String,
    pub ticket_code: String,
    pub direction: Direction,
    pub scanned_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanDecision {
    pub result: ScanResult,
    pub reason: Option<String>,
}

/// Decides and records one scan in one transaction: valid, duplicate (already inside)
/// or invalid (unknown code, another event's ticket, refunded or cancelled ticket).
pub fn record_scan(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempt: &ScanAttempt,
) -> QueryResult<ScanDecision> {
    conn.transaction(|conn| {
        let ticket: Option<(i64, i64, String)> = tickets::table
            .filter(tickets::organization_id.eq(tenant.organization_id()))
            .filter(tickets::code.eq(&attempt.ticket_code))
            .select((tickets::id, tickets::event_id, tickets::status))
            .first(conn)
            .optional()?;
        let decision = decide(conn, tenant, device, attempt, ticket.as_ref())?;
        diesel::insert_into(scans::table)
            .values((
                scans::organization_id.eq(tenant.organization_id()),
                scans::event_id.eq(device.event_id),
                scans::device_scan_id.eq(&attempt.device_scan_id),
                scans::ticket_code.eq(&attempt.ticket_code),
                scans::ticket_id.eq(ticket.map(|(id, _, _)| id)),
                scans::gate_id.eq(device.gate_id),
                scans::device_id.eq(device.device_id),
                scans::direction.eq(attempt.direction.as_str()),
                scans::scanned_at.eq(attempt.scanned_at),
                scans::received_at.eq(db::now_ms()),
                scans::result.eq(decision.result.as_str()),
                scans::reason.eq(decision.reason.as_deref()),
            ))
            .execute(conn)?;
        Ok(decision)
    })
}

fn decide(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempt: &ScanAttempt,
    ticket: Option<&(i64, i64, String)>,
) -> QueryResult<ScanDecision> {
    let invalid = |reason: &str| {
        Ok(ScanDecision {
            result: ScanResult::Invalid,
            reason: Some(reason.into()),
        })
    };
    let Some((ticket_id, event_id, status)) = ticket else {
        return invalid("unknown ticket code");
    };
    if *event_id != device.event_id {
        return invalid("ticket is for another event");
    }
    match status.as_str() {
        "refunded" => return invalid("ticket was refunded"),
        "cancelled" => return invalid("ticket was cancelled"),
        _ => {}
    }
    // The last accepted movement of this ticket says whether its holder is inside.
    let last: Option<(String, i64, String)> = scans::table
        .inner_join(gates::table)
        .filter(scans::organization_id.eq(tenant.organization_id()))
        .filter(scans::event_id.eq(device.event_id))
        .filter(scans::ticket_id.eq(ticket_id))
        .filter(scans::result.eq("valid"))
        .order(scans::id.desc())
        .select((scans::direction, scans::scanned_at, gates::name))
        .first(conn)
        .optional()?;
    let inside = last
        .as_ref()
        .is_some_and(|(direction, _, _)| direction == "in");
    Ok(match (attempt.direction, inside, last) {
        (Direction::In, true, Some((_, at, gate))) => ScanDecision {
            result: ScanResult::Duplicate,
            reason: Some(format!(
                "already admitted at {gate} ({})",
                crate::db::format_utc(at)
            )),
        },
        (Direction::Out, false, _) => ScanDecision {
            result: ScanResult::Invalid,
            reason: Some("not inside".into()),
        },
        _ => ScanDecision {
            result: ScanResult::Valid,
            reason: None,
        },
    })
}

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
