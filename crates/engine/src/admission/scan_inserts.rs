//! The one INSERT (or, on SQLite, the few) of a group's new scans.

use std::collections::HashMap;

use diesel::prelude::*;

use super::scan_rows::{self, Written};
use super::NewScan;
use crate::db::schema::scans;
use crate::db::{self, DbConnection, PreparedSql, SqlValue};
use crate::model::Reason;
use crate::with_backend;

/// The new scans' ids, by device and then the device's scan id.
pub type ScanIds = HashMap<i64, HashMap<String, i64>>;

fn by_device(written: Vec<Written>) -> ScanIds {
    let (mut ids, count) = (ScanIds::new(), written.len());
    for scan in written {
        let of_device = ids
            .entry(scan.device_id)
            .or_insert_with(|| HashMap::with_capacity(count));
        of_device.insert(scan.device_scan_id, scan.id);
    }
    ids
}

/// Writes the new scans; their ids by device and device scan id. One scan: diesel's
/// INSERT, prepared once. More on SQLite: statements of a fixed number of rows
/// (`scan_rows`). More on PostgreSQL: a few with a bind per value, a long group's
/// rows as one JSON bind, so a group costs one round trip whatever its size.
pub fn insert_scans(conn: &mut DbConnection, new: &[NewScan]) -> QueryResult<ScanIds> {
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let written = match new.len() {
        0 => Vec::new(),
        1 => insert_few(conn, new)?,
        _ if sqlite => scan_rows::insert_in_rows(conn, new, db::now_ms())?,
        n if n < db::JSON_ROWS_FROM => insert_few(conn, new)?,
        _ => insert_json_rows(conn, new)?,
    };
    Ok(by_device(written))
}

/// `insert_scans` for a long group on PostgreSQL: its rows as one JSON array.
fn insert_json_rows(conn: &mut DbConnection, new: &[NewScan]) -> QueryResult<Vec<Written>> {
    // One device's scans (a long batch) bind its columns once; a group's carry them per row.
    let first = &new[0].batch;
    let one_device = new
        .iter()
        .all(|scan| scan.batch.device == first.device && scan.batch.tenant == first.tenant);
    let rows: Vec<ScanRow> = new.iter().map(|scan| ScanRow { scan, one_device }).collect();
    let rows = db::json_bind(&rows)?;
    let sql = insert_scans_sql(conn, one_device);
    let device = first.device;
    let mut binds = vec![SqlValue::BigInt(db::now_ms())];
    if one_device {
        let columns = [
            first.tenant.organization_id(),
            device.event_id,
            device.gate_id,
            device.device_id,
        ];
        binds.extend(columns.map(SqlValue::BigInt));
    }
    binds.push(SqlValue::Text(rows));
    let statement = PreparedSql::new(&sql, binds)?;
    Ok(with_backend!(&mut *conn, |c| statement.load(c)?))
}

/// `insert_scans` for a few scans: one multi-row INSERT, each value its own bind.
fn insert_few(conn: &mut DbConnection, new: &[NewScan]) -> QueryResult<Vec<Written>> {
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
        .map(|(id, device_id, device_scan_id)| Written {
            id,
            device_id,
            device_scan_id,
        })
        .collect())
}

/// One new scan as a JSON array in `insert_scans_sql`'s order: its device's columns
/// first unless they are bound once for all (`one_device`).
struct ScanRow<'a> {
    scan: &'a NewScan<'a>,
    one_device: bool,
}

impl serde::Serialize for ScanRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let (batch, attempt, decision) = (&self.scan.batch, self.scan.attempt, &self.scan.decision);
        let admitted = decision.admitted();
        let mut row = serializer.serialize_seq(None)?;
        if !self.one_device {
            row.serialize_element(&batch.tenant.organization_id())?;
            row.serialize_element(&batch.device.event_id)?;
            row.serialize_element(&batch.device.gate_id)?;
            row.serialize_element(&batch.device.device_id)?;
        }
        row.serialize_element(&attempt.device_scan_id)?;
        row.serialize_element(&attempt.ticket_code)?;
        row.serialize_element(&decision.ticket_id)?;
        row.serialize_element(attempt.direction.as_stored())?;
        row.serialize_element(&attempt.scanned_at)?;
        row.serialize_element(decision.result.as_stored())?;
        row.serialize_element(&decision.reason.as_ref().map(Reason::message))?;
        row.serialize_element(&admitted.map(|a| a.at))?;
        row.serialize_element(&admitted.map(|a| a.gate.as_str()))?;
        row.end()
    }
}

/// The scans' INSERT: the time received bound once, then the device's columns (bound
/// once, or per row), then each scan's fields from its `ScanRow`.
fn insert_scans_sql(conn: &DbConnection, one_device: bool) -> String {
    use crate::db::{ColumnType::*, Placeholders};
    let mut params = Placeholders::for_prepared(conn);
    let received_at = params.placeholder();
    let device_binds: Vec<String> = match one_device {
        true => (0..4).map(|_| params.placeholder()).collect(),
        false => Vec::new(),
    };
    let rows = params.json_rows("s");
    let device_fields = match one_device {
        true => 0,
        false => 4,
    };
    let scan_fields = [Text, Text, BigInt, Text, BigInt, Text, Text, BigInt, Text];
    let fields: Vec<String> = std::iter::repeat_n(BigInt, device_fields)
        .chain(scan_fields)
        .enumerate()
        .map(|(i, column_type)| params.field("s", i, column_type))
        .collect();
    let columns = device_binds.into_iter().chain(fields).collect::<Vec<_>>().join(", ");
    format!(
        "INSERT INTO scans (received_at, organization_id, event_id, gate_id, device_id, \
         device_scan_id, ticket_code, ticket_id, direction, scanned_at, result, reason, admitted_at, admitted_gate) \
         SELECT {received_at}, {columns} FROM {rows} RETURNING id, device_id, device_scan_id"
    )
}
