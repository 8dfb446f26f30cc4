//! What the admission decision writes, and one read it makes after moving tickets:
//! the devices seen, where refused tickets were let in, and the one multi-row INSERT of
//! a group's new scans.

use std::collections::HashMap;

use diesel::prelude::*;

use super::NewScan;
use crate::db::schema::{devices, gates, scans, tickets};
use crate::db::{self, DbConnection};
use crate::scanning::model::{Admitted, Reason};
use crate::with_backend;

/// Marks the group's devices seen now: one UPDATE (a single device's is prepared once).
pub fn mark_devices_seen(conn: &mut DbConnection, device_ids: &[i64], now: i64) -> QueryResult<()> {
    let query = diesel::update(devices::table).set(devices::last_heartbeat_at.eq(now));
    match device_ids {
        [device] => query.filter(devices::id.eq(*device)).execute(conn)?,
        _ => query.filter(devices::id.eq_any(device_ids)).execute(conn)?,
    };
    Ok(())
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

/// A new scan's id, by its device and the device's scan id.
pub type ScanIds = HashMap<(i64, String), i64>;

/// Writes the new scans in one INSERT whatever their number (one JSON bind carries
/// the rows of a long group); their ids by device and device scan id.
pub fn insert_scans(conn: &mut DbConnection, new: &[NewScan]) -> QueryResult<ScanIds> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Written {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        device_id: i64,
        #[diesel(sql_type = Text)]
        device_scan_id: String,
    }
    if new.is_empty() {
        return Ok(HashMap::new());
    }
    if new.len() < db::JSON_ROWS_FROM {
        return insert_few(conn, new);
    }
    let rows: Vec<_> = new.iter().map(scan_row).collect();
    let rows = serde_json::to_string(&rows).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let sql = insert_scans_sql(conn);
    let written: Vec<Written> = with_backend!(&mut *conn, |c| diesel::sql_query(sql)
        .bind::<BigInt, _>(db::now_ms())
        .bind::<Text, _>(rows)
        .load(c))?;
    Ok(written
        .into_iter()
        .map(|w| ((w.device_id, w.device_scan_id), w.id))
        .collect())
}

/// `insert_scans` for a few scans: one multi-row INSERT, each value its own bind.
fn insert_few(conn: &mut DbConnection, new: &[NewScan]) -> QueryResult<ScanIds> {
    let received_at = db::now_ms();
    let rows: Vec<_> = new
        .iter()
        .map(|scan| {
            let (device, attempt, decision) = (scan.batch.device, scan.attempt, &scan.decision);
            let admitted = decision.admitted();
            (
                scans::organization_id.eq(scan.batch.tenant.organization_id()),
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
    let returning = (scans::id, scans::device_id, scans::device_scan_id);
    // One row: a statement prepared once; several: prepared again for every group.
    let written: Vec<(i64, i64, String)> = match rows.as_slice() {
        [row] => with_backend!(&mut *conn, |c| diesel::insert_into(scans::table)
            .values(row.clone())
            .returning(returning)
            .get_results(c))?,
        _ => with_backend!(&mut *conn, |c| diesel::insert_into(scans::table)
            .values(&rows)
            .returning(returning)
            .get_results(c))?,
    };
    Ok(written
        .into_iter()
        .map(|(id, device_id, device_scan_id)| ((device_id, device_scan_id), id))
        .collect())
}

/// The fields of one new scan in `insert_scans_sql`'s order.
type ScanRow<'a> = (
    i64,
    i64,
    i64,
    i64,
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

fn scan_row<'a>(scan: &'a NewScan) -> ScanRow<'a> {
    let (device, attempt, decision) = (scan.batch.device, scan.attempt, &scan.decision);
    let admitted = decision.admitted();
    (
        scan.batch.tenant.organization_id(),
        device.event_id,
        device.gate_id,
        device.device_id,
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

/// The scans' INSERT: the time received bound once, each scan a `ScanRow` element.
fn insert_scans_sql(conn: &DbConnection) -> String {
    use crate::db::{ColumnType::*, Placeholders};
    let mut params = Placeholders::for_connection(conn);
    let received_at = params.placeholder();
    let rows = params.json_rows("s");
    let fields: Vec<String> = [
        BigInt, BigInt, BigInt, BigInt, Text, Text, BigInt, Text, BigInt, Text, Text, BigInt, Text,
    ]
    .into_iter()
    .enumerate()
    .map(|(i, column_type)| params.field("s", i, column_type))
    .collect();
    format!(
        "INSERT INTO scans (received_at, organization_id, event_id, gate_id, device_id, \
         device_scan_id, ticket_code, ticket_id, direction, scanned_at, result, reason, admitted_at, admitted_gate) \
         SELECT {received_at}, {} FROM {rows} RETURNING id, device_id, device_scan_id",
        fields.join(", ")
    )
}
