//! The admission decision: is this ticket let in (or out) at this gate, now?
//!
//! Who is inside is state on the ticket (`inside_since`, `inside_gate_id`), changed only
//! by a conditional UPDATE: of two devices admitting the same ticket at the same
//! instant exactly one changes the row and is valid; the other finds it already inside
//! and is a duplicate, on SQLite and on PostgreSQL alike.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{gate_ticket_types, gates, scans, tickets};
use crate::db::{self, DbConnection, Tenant};
use crate::with_backend;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
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

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "valid" => Some(Self::Valid),
            "duplicate" => Some(Self::Duplicate),
            "invalid" => Some(Self::Invalid),
            _ => None,
        }
    }
}

/// The scanning device a scan came from, and the gate and event it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// What was decided for one scan, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedScan {
    pub scan_id: i64,
    pub result: ScanResult,
    pub reason: Option<String>,
    /// For a duplicate: when and where the holder was admitted.
    pub admitted: Option<(i64, String)>,
    /// True when this scan id had been recorded before: nothing new was counted.
    pub replayed: bool,
}

struct Decision {
    result: ScanResult,
    reason: Option<String>,
    ticket_id: Option<i64>,
    admitted: Option<(i64, String)>,
}

impl Decision {
    fn invalid(reason: &str, ticket_id: Option<i64>) -> Self {
        Self {
            result: ScanResult::Invalid,
            reason: Some(reason.into()),
            ticket_id,
            admitted: None,
        }
    }
}

/// Decides and records one scan; a scan id this device sent before gets its first answer.
/// Call inside a write transaction.
pub fn record_scan(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempt: &ScanAttempt,
) -> QueryResult<RecordedScan> {
    if let Some(previous) = previous_answer(conn, device, &attempt.device_scan_id)? {
        return Ok(previous);
    }
    let decision = decide(conn, tenant, device, attempt)?;
    let values = (
        scans::organization_id.eq(tenant.organization_id()),
        scans::event_id.eq(device.event_id),
        scans::device_scan_id.eq(&attempt.device_scan_id),
        scans::ticket_code.eq(&attempt.ticket_code),
        scans::ticket_id.eq(decision.ticket_id),
        scans::gate_id.eq(device.gate_id),
        scans::device_id.eq(device.device_id),
        scans::direction.eq(attempt.direction.as_str()),
        scans::scanned_at.eq(attempt.scanned_at),
        scans::received_at.eq(db::now_ms()),
        scans::result.eq(decision.result.as_str()),
        scans::reason.eq(decision.reason.as_deref()),
    );
    let scan_id: i64 = with_backend!(conn, |c| diesel::insert_into(scans::table)
        .values(values)
        .returning(scans::id)
        .get_result(c))?;
    Ok(RecordedScan {
        scan_id,
        result: decision.result,
        reason: decision.reason,
        admitted: decision.admitted,
        replayed: false,
    })
}

fn previous_answer(conn: &mut DbConnection, device: GateDevice, scan_id: &str) -> QueryResult<Option<RecordedScan>> {
    let row: Option<(i64, String, Option<String>)> = scans::table
        .filter(scans::device_id.eq(device.device_id))
        .filter(scans::device_scan_id.eq(scan_id))
        .select((scans::id, scans::result, scans::reason))
        .first(conn)
        .optional()?;
    Ok(row.map(|(scan_id, result, reason)| RecordedScan {
        scan_id,
        result: ScanResult::parse(&result).unwrap_or(ScanResult::Invalid),
        reason,
        admitted: None,
        replayed: true,
    }))
}

type TicketRow = (i64, i64, String, i64);

fn decide(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempt: &ScanAttempt,
) -> QueryResult<Decision> {
    let ticket: Option<TicketRow> = tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::code.eq(&attempt.ticket_code))
        .select((tickets::id, tickets::event_id, tickets::status, tickets::ticket_type_id))
        .first(conn)
        .optional()?;
    let Some((ticket_id, event_id, status, ticket_type_id)) = ticket else {
        return Ok(Decision::invalid("unknown ticket code", None));
    };
    if event_id != device.event_id {
        return Ok(Decision::invalid("ticket is for another event", Some(ticket_id)));
    }
    match status.as_str() {
        "refunded" => return Ok(Decision::invalid("ticket was refunded", Some(ticket_id))),
        "cancelled" => return Ok(Decision::invalid("ticket was cancelled", Some(ticket_id))),
        _ => {}
    }
    if !allowed_at_gate(conn, tenant, device.gate_id, ticket_type_id)? {
        return Ok(Decision::invalid(
            "ticket type not allowed at this gate",
            Some(ticket_id),
        ));
    }
    match attempt.direction {
        Direction::In => admit(conn, device, ticket_id, attempt.scanned_at),
        Direction::Out => let_out(conn, ticket_id),
    }
}

/// A gate with no listed ticket types lets every type in.
fn allowed_at_gate(conn: &mut DbConnection, tenant: &Tenant, gate_id: i64, ticket_type_id: i64) -> QueryResult<bool> {
    let allowed: Vec<i64> = gate_ticket_types::table
        .filter(gate_ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(gate_ticket_types::gate_id.eq(gate_id))
        .select(gate_ticket_types::ticket_type_id)
        .load(conn)?;
    Ok(allowed.is_empty() || allowed.contains(&ticket_type_id))
}

fn admit(conn: &mut DbConnection, device: GateDevice, ticket_id: i64, at: i64) -> QueryResult<Decision> {
    let changed = diesel::update(
        tickets::table
            .filter(tickets::id.eq(ticket_id))
            .filter(tickets::inside_since.is_null()),
    )
    .set((tickets::inside_since.eq(at), tickets::inside_gate_id.eq(device.gate_id)))
    .execute(conn)?;
    if changed == 1 {
        return Ok(Decision {
            result: ScanResult::Valid,
            reason: None,
            ticket_id: Some(ticket_id),
            admitted: None,
        });
    }
    let (since, gate): (Option<i64>, Option<String>) = tickets::table
        .left_join(gates::table.on(gates::id.nullable().eq(tickets::inside_gate_id)))
        .filter(tickets::id.eq(ticket_id))
        .select((tickets::inside_since, gates::name.nullable()))
        .first(conn)?;
    let (since, gate) = (since.unwrap_or(at), gate.unwrap_or_default());
    Ok(Decision {
        result: ScanResult::Duplicate,
        reason: Some(format!("already inside: admitted at {gate}, {}", db::format_utc(since))),
        ticket_id: Some(ticket_id),
        admitted: Some((since, gate)),
    })
}

fn let_out(conn: &mut DbConnection, ticket_id: i64) -> QueryResult<Decision> {
    let changed = diesel::update(
        tickets::table
            .filter(tickets::id.eq(ticket_id))
            .filter(tickets::inside_since.is_not_null()),
    )
    .set((
        tickets::inside_since.eq(None::<i64>),
        tickets::inside_gate_id.eq(None::<i64>),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(Decision {
            result: ScanResult::Valid,
            reason: None,
            ticket_id: Some(ticket_id),
            admitted: None,
        })
    } else {
        Ok(Decision::invalid("not inside: no entry to exit from", Some(ticket_id)))
    }
}
