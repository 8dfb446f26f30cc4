//! The admission decision: is this ticket let in (or out) at this gate, now?
//!
//! Who is inside is state on the ticket (`inside_since`, `inside_gate_id`), changed only
//! by a conditional UPDATE: of two devices admitting the same ticket at the same
//! instant exactly one changes the row and is valid; the other finds it already inside
//! and is a duplicate, on SQLite and on PostgreSQL alike.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{gate_ticket_types, gates, scans, tickets};
use crate::db::{self, DbConnection, Tenant};
use crate::orders::TicketStatus;
use crate::with_backend;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "in" => Some(Self::In),
            "out" => Some(Self::Out),
            _ => None,
        }
    }

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
    fn valid(ticket_id: i64) -> Self {
        Self {
            result: ScanResult::Valid,
            reason: None,
            ticket_id: Some(ticket_id),
            admitted: None,
        }
    }

    fn duplicate(ticket_id: i64, since: i64, gate: String) -> Self {
        Self {
            result: ScanResult::Duplicate,
            reason: Some(format!("already inside: admitted at {gate}, {}", db::format_utc(since))),
            ticket_id: Some(ticket_id),
            admitted: Some((since, gate)),
        }
    }

    fn not_inside(ticket_id: i64) -> Self {
        Self::invalid("not inside: no entry to exit from", Some(ticket_id))
    }

    fn invalid(reason: &str, ticket_id: Option<i64>) -> Self {
        Self {
            result: ScanResult::Invalid,
            reason: Some(reason.into()),
            ticket_id,
            admitted: None,
        }
    }
}

/// A ticket as the decision needs it: id, event, status, ticket type.
type TicketRow = (i64, i64, TicketStatus, i64);

/// Decides and records a device's batch, in order; a scan id this device sent before
/// gets its first answer again. What can be read up front (earlier answers, the
/// tickets, the gate's allowed types) is read once per batch and the new scans are
/// written with one multi-row INSERT; each scan itself costs one conditional UPDATE.
/// Call inside a write transaction.
pub fn record_batch(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    attempts: &[ScanAttempt],
) -> QueryResult<Vec<RecordedScan>> {
    let earlier = previous_answers(conn, device, attempts)?;
    let tickets = tickets_by_code(conn, tenant, attempts)?;
    let allowed = allowed_ticket_types(conn, tenant, device.gate_id)?;
    // For each attempt: an earlier answer, or the index of its decision among the new
    // ones (and whether it repeats a scan id sent earlier in this same batch).
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut checked: Vec<(&ScanAttempt, Result<i64, Decision>)> = Vec::new();
    let mut slots = Vec::with_capacity(attempts.len());
    for attempt in attempts {
        let id = attempt.device_scan_id.as_str();
        if let Some(previous) = earlier.get(id) {
            slots.push(Slot::Earlier(previous.clone()));
        } else if let Some(&index) = first_seen.get(id) {
            slots.push(Slot::New { index, repeated: true });
        } else {
            first_seen.insert(id, checked.len());
            slots.push(Slot::New {
                index: checked.len(),
                repeated: false,
            });
            checked.push((attempt, precheck(device, tickets.get(&attempt.ticket_code), &allowed)));
        }
    }
    let decided = move_tickets(conn, device, checked)?;
    let ids = insert_scans(conn, tenant, device, &decided)?;
    Ok(slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Earlier(previous) => previous,
            Slot::New { index, repeated } => {
                let (attempt, decision) = &decided[index];
                RecordedScan {
                    scan_id: ids.get(attempt.device_scan_id.as_str()).copied().unwrap_or_default(),
                    result: decision.result,
                    reason: decision.reason.clone(),
                    admitted: decision.admitted.clone(),
                    replayed: repeated,
                }
            }
        })
        .collect())
}

/// Where a batch's answer comes from.
enum Slot {
    /// The scan id was answered in an earlier request.
    Earlier(RecordedScan),
    /// A decision made now; `repeated` when the same id came earlier in this batch.
    New { index: usize, repeated: bool },
}

/// Writes the new scans; their ids by device scan id.
fn insert_scans(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    decided: &[(&ScanAttempt, Decision)],
) -> QueryResult<HashMap<String, i64>> {
    let received_at = db::now_ms();
    let rows: Vec<_> = decided
        .iter()
        .map(|(attempt, decision)| {
            (
                scans::organization_id.eq(tenant.organization_id()),
                scans::event_id.eq(device.event_id),
                scans::device_scan_id.eq(attempt.device_scan_id.as_str()),
                scans::ticket_code.eq(attempt.ticket_code.as_str()),
                scans::ticket_id.eq(decision.ticket_id),
                scans::gate_id.eq(device.gate_id),
                scans::device_id.eq(device.device_id),
                scans::direction.eq(attempt.direction.as_str()),
                scans::scanned_at.eq(attempt.scanned_at),
                scans::received_at.eq(received_at),
                scans::result.eq(decision.result.as_str()),
                scans::reason.eq(decision.reason.as_deref()),
                scans::admitted_at.eq(decision.admitted.as_ref().map(|(at, _)| *at)),
                scans::admitted_gate.eq(decision.admitted.as_ref().map(|(_, gate)| gate.as_str())),
            )
        })
        .collect();
    let mut ids = HashMap::with_capacity(rows.len());
    // 14 values a row: 500 rows stay under SQLite's 32,766 bound parameters.
    for chunk in rows.chunks(500) {
        let written: Vec<(i64, String)> = with_backend!(&mut *conn, |c| diesel::insert_into(scans::table)
            .values(chunk)
            .returning((scans::id, scans::device_scan_id))
            .get_results(c))?;
        ids.extend(written.into_iter().map(|(id, device_scan_id)| (device_scan_id, id)));
    }
    Ok(ids)
}

/// Earlier answers to any of these scan ids from this device.
fn previous_answers(
    conn: &mut DbConnection,
    device: GateDevice,
    attempts: &[ScanAttempt],
) -> QueryResult<HashMap<String, RecordedScan>> {
    let ids: Vec<&str> = attempts.iter().map(|a| a.device_scan_id.as_str()).collect();
    type Answer = (String, i64, String, Option<String>, Option<i64>, Option<String>);
    let rows: Vec<Answer> = scans::table
        .filter(scans::device_id.eq(device.device_id))
        .filter(scans::device_scan_id.eq_any(ids))
        .select((
            scans::device_scan_id,
            scans::id,
            scans::result,
            scans::reason,
            scans::admitted_at,
            scans::admitted_gate,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, scan_id, result, reason, admitted_at, admitted_gate)| {
            let result = ScanResult::parse(&result).unwrap_or(ScanResult::Invalid);
            (
                id,
                RecordedScan {
                    scan_id,
                    result,
                    reason,
                    admitted: admitted_at.zip(admitted_gate),
                    replayed: true,
                },
            )
        })
        .collect())
}

/// The tenant's tickets among the batch's codes (another organisation's do not exist).
fn tickets_by_code(
    conn: &mut DbConnection,
    tenant: &Tenant,
    attempts: &[ScanAttempt],
) -> QueryResult<HashMap<String, TicketRow>> {
    let codes: Vec<&str> = attempts.iter().map(|a| a.ticket_code.as_str()).collect();
    // Looked up by code alone so SQLite uses the unique code index (with the
    // organisation in the WHERE it scans the organisation's whole ticket range instead);
    // another organisation's tickets are dropped right here.
    let rows: Vec<(i64, String, i64, i64, TicketStatus, i64)> = tickets::table
        .filter(tickets::code.eq_any(codes))
        .select((
            tickets::organization_id,
            tickets::code,
            tickets::id,
            tickets::event_id,
            tickets::status,
            tickets::ticket_type_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(org, ..)| *org == tenant.organization_id())
        .map(|(_, code, id, event, status, type_id)| (code, (id, event, status, type_id)))
        .collect())
}

/// Everything that can be decided without changing the ticket: the ticket id to move,
/// or the reason it is invalid.
fn precheck(device: GateDevice, ticket: Option<&TicketRow>, allowed_types: &[i64]) -> Result<i64, Decision> {
    let Some(&(ticket_id, event_id, status, ticket_type_id)) = ticket else {
        return Err(Decision::invalid("unknown ticket code", None));
    };
    if event_id != device.event_id {
        return Err(Decision::invalid("ticket is for another event", Some(ticket_id)));
    }
    if let Some(reason) = status.refusal() {
        return Err(Decision::invalid(reason, Some(ticket_id)));
    }
    if !allowed_types.is_empty() && !allowed_types.contains(&ticket_type_id) {
        return Err(Decision::invalid(
            "ticket type not allowed at this gate",
            Some(ticket_id),
        ));
    }
    Ok(ticket_id)
}

/// Admits and lets out the checked tickets, in the batch's order. When no ticket
/// appears twice, all entries are one conditional UPDATE and all exits another;
/// otherwise each scan is its own conditional UPDATE, so an entry followed by an exit
/// of the same ticket in one batch is decided in sequence.
fn move_tickets<'a>(
    conn: &mut DbConnection,
    device: GateDevice,
    checked: Vec<(&'a ScanAttempt, Result<i64, Decision>)>,
) -> QueryResult<Vec<(&'a ScanAttempt, Decision)>> {
    let ticket_ids: Vec<i64> = checked.iter().filter_map(|(_, c)| c.as_ref().ok().copied()).collect();
    let distinct: HashSet<i64> = ticket_ids.iter().copied().collect();
    if distinct.len() < ticket_ids.len() {
        return checked
            .into_iter()
            .map(|(attempt, check)| {
                let decision = match check {
                    Err(invalid) => invalid,
                    Ok(ticket_id) => match attempt.direction {
                        Direction::In => admit(conn, device, ticket_id, attempt.scanned_at)?,
                        Direction::Out => let_out(conn, ticket_id)?,
                    },
                };
                Ok((attempt, decision))
            })
            .collect();
    }
    let wanting = |direction: Direction| {
        checked
            .iter()
            .filter(move |(a, _)| a.direction == direction)
            .filter_map(|(a, c)| c.as_ref().ok().map(|ticket_id| (*ticket_id, a.scanned_at)))
    };
    let entries: Vec<(i64, i64)> = wanting(Direction::In).collect();
    let exits: Vec<i64> = wanting(Direction::Out).map(|(ticket_id, _)| ticket_id).collect();
    let admitted = admit_all(conn, device.gate_id, &entries)?;
    let left = let_out_all(conn, &exits)?;
    let refused: Vec<i64> = entries
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| !admitted.contains(t))
        .collect();
    let inside_since = where_admitted(conn, &refused)?;
    Ok(checked
        .into_iter()
        .map(|(attempt, check)| {
            let decision = match (check, attempt.direction) {
                (Err(invalid), _) => invalid,
                (Ok(ticket_id), Direction::In) if admitted.contains(&ticket_id) => Decision::valid(ticket_id),
                (Ok(ticket_id), Direction::In) => {
                    let (since, gate) = inside_since
                        .get(&ticket_id)
                        .cloned()
                        .unwrap_or((attempt.scanned_at, String::new()));
                    Decision::duplicate(ticket_id, since, gate)
                }
                (Ok(ticket_id), Direction::Out) if left.contains(&ticket_id) => Decision::valid(ticket_id),
                (Ok(ticket_id), Direction::Out) => Decision::not_inside(ticket_id),
            };
            (attempt, decision)
        })
        .collect())
}

/// Admits every ticket not inside yet, at its scan's time; the ids it admitted.
fn admit_all(conn: &mut DbConnection, gate_id: i64, entries: &[(i64, i64)]) -> QueryResult<HashSet<i64>> {
    if entries.is_empty() {
        return Ok(HashSet::new());
    }
    let mut params = Placeholders::for_connection(conn);
    let mut binds = Vec::with_capacity(entries.len() * 3 + 1);
    let mut sql = String::from("UPDATE tickets SET inside_since = CASE id");
    for (ticket_id, at) in entries {
        sql.push_str(&format!(" WHEN {} THEN {}", params.next(), params.next()));
        binds.extend([*ticket_id, *at]);
    }
    sql.push_str(&format!(
        " END, inside_gate_id = {} WHERE inside_since IS NULL AND id IN (",
        params.next()
    ));
    binds.push(gate_id);
    let list: Vec<String> = entries.iter().map(|_| params.next()).collect();
    sql.push_str(&list.join(", "));
    sql.push_str(") RETURNING id");
    binds.extend(entries.iter().map(|(ticket_id, _)| *ticket_id));
    returned_ids(conn, &sql, &binds)
}

/// Lets out every ticket that is inside; the ids it let out.
fn let_out_all(conn: &mut DbConnection, exits: &[i64]) -> QueryResult<HashSet<i64>> {
    if exits.is_empty() {
        return Ok(HashSet::new());
    }
    let mut params = Placeholders::for_connection(conn);
    let list: Vec<String> = exits.iter().map(|_| params.next()).collect();
    let sql = format!(
        "UPDATE tickets SET inside_since = NULL, inside_gate_id = NULL \
         WHERE inside_since IS NOT NULL AND id IN ({}) RETURNING id",
        list.join(", ")
    );
    returned_ids(conn, &sql, exits)
}

/// When and at which gate each of these tickets was admitted.
fn where_admitted(conn: &mut DbConnection, ticket_ids: &[i64]) -> QueryResult<HashMap<i64, (i64, String)>> {
    if ticket_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, Option<i64>, Option<String>)> = tickets::table
        .left_join(gates::table.on(gates::id.nullable().eq(tickets::inside_gate_id)))
        .filter(tickets::id.eq_any(ticket_ids))
        .select((tickets::id, tickets::inside_since, gates::name.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, since, gate)| Some((id, (since?, gate.unwrap_or_default()))))
        .collect())
}

/// Bind placeholders for hand-written SQL: `$1, $2…` on PostgreSQL, `?` on SQLite.
struct Placeholders {
    postgres: bool,
    count: usize,
}

impl Placeholders {
    fn for_connection(conn: &DbConnection) -> Self {
        Self {
            postgres: matches!(conn, DbConnection::Postgresql(_)),
            count: 0,
        }
    }

    fn next(&mut self) -> String {
        self.count += 1;
        if self.postgres {
            format!("${}", self.count)
        } else {
            "?".to_owned()
        }
    }
}

/// Runs an `… RETURNING id` statement with BIGINT binds; the returned ids.
fn returned_ids(conn: &mut DbConnection, sql: &str, binds: &[i64]) -> QueryResult<HashSet<i64>> {
    use diesel::sql_types::BigInt;
    #[derive(QueryableByName)]
    struct Returned {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let rows: Vec<Returned> = match conn {
        DbConnection::Sqlite(c) => binds
            .iter()
            .fold(diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>(), |q, b| {
                q.bind::<BigInt, _>(*b)
            })
            .load(c)?,
        DbConnection::Postgresql(c) => binds
            .iter()
            .fold(diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>(), |q, b| {
                q.bind::<BigInt, _>(*b)
            })
            .load(c)?,
    };
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The ticket types a gate lets in; empty means every type.
fn allowed_ticket_types(conn: &mut DbConnection, tenant: &Tenant, gate_id: i64) -> QueryResult<Vec<i64>> {
    gate_ticket_types::table
        .filter(gate_ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(gate_ticket_types::gate_id.eq(gate_id))
        .select(gate_ticket_types::ticket_type_id)
        .load(conn)
}

fn admit(conn: &mut DbConnection, device: GateDevice, ticket_id: i64, at: i64) -> QueryResult<Decision> {
    let admitted = admit_all(conn, device.gate_id, &[(ticket_id, at)])?;
    if admitted.contains(&ticket_id) {
        return Ok(Decision::valid(ticket_id));
    }
    let (since, gate) = where_admitted(conn, &[ticket_id])?
        .remove(&ticket_id)
        .unwrap_or((at, String::new()));
    Ok(Decision::duplicate(ticket_id, since, gate))
}

fn let_out(conn: &mut DbConnection, ticket_id: i64) -> QueryResult<Decision> {
    if let_out_all(conn, &[ticket_id])?.contains(&ticket_id) {
        Ok(Decision::valid(ticket_id))
    } else {
        Ok(Decision::not_inside(ticket_id))
    }
}
