//! What the admission rules read, and how their decisions are stored: earlier answers
//! to the batch's scan ids, the batch's tickets, the event's entry rules, the gate's
//! allowed ticket types, where
//! refused tickets were let in, and the one multi-row INSERT of the new scans.

use std::collections::HashMap;

use diesel::prelude::*;

use super::rules::{Decision, Earlier, EntryRules, TicketAtGate};
use crate::db::schema::{events, gate_ticket_types, gates, scans, tickets};
use crate::db::{self, DbConnection, Tenant};
use crate::orders::TicketStatus;
use crate::scanning::model::{Admitted, GateDevice, Reason, RecordedScan, ScanAttempt, ScanResult};
use crate::with_backend;

/// A scan as it was answered the first time.
#[derive(Queryable)]
struct EarlierAnswer {
    device_scan_id: String,
    ticket_code: String,
    scan_id: i64,
    result: ScanResult,
    reason: Option<String>,
    admitted_at: Option<i64>,
    admitted_gate: Option<String>,
}

/// Earlier answers to any of these scan ids from this device, with their ticket codes.
pub fn previous_answers(
    conn: &mut DbConnection,
    device: GateDevice,
    attempts: &[ScanAttempt],
) -> QueryResult<Earlier<RecordedScan>> {
    let ids: Vec<&str> = attempts.iter().map(|a| a.device_scan_id.as_str()).collect();
    let query = scans::table.filter(scans::device_id.eq(device.device_id)).into_boxed();
    // One id: a statement prepared once (see `tickets_by_code`).
    let query = match ids.as_slice() {
        [id] => query.filter(scans::device_scan_id.eq(*id)),
        _ => query.filter(scans::device_scan_id.eq_any(ids)),
    };
    let rows: Vec<EarlierAnswer> = query
        .select((
            scans::device_scan_id,
            scans::ticket_code,
            scans::id,
            scans::result,
            scans::reason,
            scans::admitted_at,
            scans::admitted_gate,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let admitted = row
                .admitted_at
                .zip(row.admitted_gate)
                .map(|(at, gate)| Admitted { at, gate });
            let answer = RecordedScan {
                scan_id: row.scan_id,
                result: row.result,
                reason: row.reason,
                admitted,
                replayed: true,
                conflict: false,
            };
            (row.device_scan_id, (row.ticket_code, answer))
        })
        .collect())
}

/// The tenant's tickets among the batch's codes (another organisation's do not exist).
pub fn tickets_by_code(
    conn: &mut DbConnection,
    tenant: &Tenant,
    attempts: &[ScanAttempt],
) -> QueryResult<HashMap<String, TicketAtGate>> {
    let codes: Vec<&str> = attempts.iter().map(|a| a.ticket_code.as_str()).collect();
    // Looked up by code alone so SQLite uses the unique code index (with the
    // organisation in the WHERE it scans the organisation's whole ticket range instead);
    // another organisation's tickets are dropped right here.
    let query = tickets::table
        .select((
            tickets::organization_id,
            tickets::code,
            tickets::id,
            tickets::event_id,
            tickets::status,
            tickets::ticket_type_id,
        ))
        .into_boxed();
    // One code (a gate online sends one scan at a time) is a statement prepared once; a
    // list's `IN (…)` is prepared again for every batch.
    let query = match codes.as_slice() {
        [code] => query.filter(tickets::code.eq(*code)),
        _ => query.filter(tickets::code.eq_any(codes)),
    };
    let rows: Vec<(i64, String, i64, i64, TicketStatus, i64)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(org, ..)| *org == tenant.organization_id())
        .map(|(_, code, id, event_id, status, ticket_type_id)| {
            let ticket = TicketAtGate {
                id,
                event_id,
                status,
                ticket_type_id,
            };
            (code, ticket)
        })
        .collect())
}

/// The event's entry policy and time zone, as they stand now (read with every batch).
pub fn entry_rules(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<EntryRules> {
    let (policy, timezone) = events::table
        .filter(events::organization_id.eq(tenant.organization_id()))
        .filter(events::id.eq(event_id))
        .select((events::entry_policy, events::timezone))
        .first(conn)?;
    Ok(EntryRules { policy, timezone })
}

/// The ticket types a gate lets in; empty means every type.
pub fn allowed_ticket_types(conn: &mut DbConnection, tenant: &Tenant, gate_id: i64) -> QueryResult<Vec<i64>> {
    gate_ticket_types::table
        .filter(gate_ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(gate_ticket_types::gate_id.eq(gate_id))
        .select(gate_ticket_types::ticket_type_id)
        .load(conn)
}

/// When and at which gate each of these tickets was admitted.
pub fn where_admitted(conn: &mut DbConnection, ticket_ids: &[i64]) -> QueryResult<HashMap<i64, Admitted>> {
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
        .filter_map(|(id, since, gate)| {
            let admitted = Admitted {
                at: since?,
                gate: gate.unwrap_or_default(),
            };
            Some((id, admitted))
        })
        .collect())
}

/// Writes the new scans in one INSERT whatever their number (one JSON bind carries
/// the rows of a long batch); their ids by device scan id.
pub fn insert_scans(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    decided: &[(&ScanAttempt, Decision)],
) -> QueryResult<HashMap<String, i64>> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Written {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        device_scan_id: String,
    }
    if decided.is_empty() {
        return Ok(HashMap::new());
    }
    if decided.len() < db::JSON_ROWS_FROM {
        return insert_few(conn, tenant, device, decided);
    }
    let rows: Vec<_> = decided
        .iter()
        .map(|(attempt, decision)| scan_row(attempt, decision))
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let sql = insert_scans_sql(conn);
    let written: Vec<Written> = with_backend!(&mut *conn, |c| diesel::sql_query(sql)
        .bind::<BigInt, _>(tenant.organization_id())
        .bind::<BigInt, _>(device.event_id)
        .bind::<BigInt, _>(device.gate_id)
        .bind::<BigInt, _>(device.device_id)
        .bind::<BigInt, _>(db::now_ms())
        .bind::<Text, _>(rows)
        .load(c))?;
    Ok(written.into_iter().map(|w| (w.device_scan_id, w.id)).collect())
}

/// `insert_scans` for a few scans: one multi-row INSERT, each value its own bind.
fn insert_few(
    conn: &mut DbConnection,
    tenant: &Tenant,
    device: GateDevice,
    decided: &[(&ScanAttempt, Decision)],
) -> QueryResult<HashMap<String, i64>> {
    let received_at = db::now_ms();
    let rows: Vec<_> = decided
        .iter()
        .map(|(attempt, decision)| {
            let admitted = decision.admitted();
            (
                scans::organization_id.eq(tenant.organization_id()),
                scans::event_id.eq(device.event_id),
                scans::device_scan_id.eq(attempt.device_scan_id.as_str()),
                scans::ticket_code.eq(attempt.ticket_code.as_str()),
                scans::ticket_id.eq(decision.ticket_id),
                scans::gate_id.eq(device.gate_id),
                scans::device_id.eq(device.device_id),
                scans::direction.eq(attempt.direction),
                scans::scanned_at.eq(attempt.scanned_at),
                scans::received_at.eq(received_at),
                scans::result.eq(decision.result),
                scans::reason.eq(decision.reason.as_ref().map(Reason::message)),
                scans::admitted_at.eq(admitted.map(|a| a.at)),
                scans::admitted_gate.eq(admitted.map(|a| a.gate.as_str())),
            )
        })
        .collect();
    // One row: a statement prepared once; several: prepared again for every batch.
    let written: Vec<(i64, String)> = match rows.as_slice() {
        [row] => with_backend!(&mut *conn, |c| diesel::insert_into(scans::table)
            .values(row.clone())
            .returning((scans::id, scans::device_scan_id))
            .get_results(c))?,
        _ => with_backend!(&mut *conn, |c| diesel::insert_into(scans::table)
            .values(&rows)
            .returning((scans::id, scans::device_scan_id))
            .get_results(c))?,
    };
    Ok(written
        .into_iter()
        .map(|(id, device_scan_id)| (device_scan_id, id))
        .collect())
}

/// The fields of one new scan in `insert_scans_sql`'s order.
type ScanRow<'a> = (
    &'a str,
    &'a str,
    Option<i64>,
    &'static str,
    i64,
    &'static str,
    Option<String>,
    Option<i64>,
    Option<&'a str>,
);

fn scan_row<'a>(attempt: &'a ScanAttempt, decision: &'a Decision) -> ScanRow<'a> {
    let admitted = decision.admitted();
    (
        &attempt.device_scan_id,
        &attempt.ticket_code,
        decision.ticket_id,
        attempt.direction.as_stored(),
        attempt.scanned_at,
        decision.result.as_stored(),
        decision.reason.as_ref().map(Reason::message),
        admitted.map(|a| a.at),
        admitted.map(|a| a.gate.as_str()),
    )
}

/// The scans' INSERT: the device's columns bound once, each scan a `ScanRow` element.
fn insert_scans_sql(conn: &DbConnection) -> String {
    use crate::db::{ColumnType::*, Placeholders};
    let mut params = Placeholders::for_connection(conn);
    let device: Vec<String> = (0..5).map(|_| params.placeholder()).collect();
    let rows = params.json_rows("s");
    let fields: Vec<String> = [Text, Text, BigInt, Text, BigInt, Text, Text, BigInt, Text]
        .into_iter()
        .enumerate()
        .map(|(i, column_type)| params.field("s", i, column_type))
        .collect();
    format!(
        "INSERT INTO scans (organization_id, event_id, gate_id, device_id, received_at, \
         device_scan_id, ticket_code, ticket_id, direction, scanned_at, result, reason, admitted_at, admitted_gate) \
         SELECT {}, {} FROM {rows} RETURNING id, device_scan_id",
        device.join(", "),
        fields.join(", ")
    )
}
