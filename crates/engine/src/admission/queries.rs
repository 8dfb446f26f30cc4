//! What the admission decision writes, and one read it makes after moving tickets:
//! the devices seen, where refused tickets were let in, and the one multi-row INSERT of
//! a group's new scans.

use std::collections::HashMap;

use diesel::prelude::*;

use super::by_keys::{self, AdmittedTicket};
use super::NewScan;
use crate::db::schema::{gates, scans, tickets};
use crate::db::{self, DbConnection, Placeholders, PreparedSql, SqlValue};
use crate::model::{Admitted, Reason};
use crate::with_backend;

/// Marks the group's devices seen now: one UPDATE (a single device's is prepared once).
pub fn mark_devices_seen(conn: &mut DbConnection, device_ids: &[i64], now: i64) -> QueryResult<()> {
    // Hand-written: diesel prepares every UPDATE again; these are prepared once.
    let mut params = Placeholders::for_prepared(conn);
    let seen = params.placeholder();
    let (devices, listed) = match device_ids {
        [device] => (params.placeholder(), SqlValue::BigInt(*device)),
        _ => (params.json_ids(), SqlValue::json(device_ids)?),
    };
    let sql = format!("UPDATE devices SET last_heartbeat_at = {seen} WHERE id IN ({devices})");
    let statement = PreparedSql::new(&sql, vec![SqlValue::BigInt(now), listed])?;
    with_backend!(conn, |c| statement.execute(c))?;
    Ok(())
}

/// When and at which gate each of these tickets was admitted.
pub fn where_admitted(conn: &mut DbConnection, ticket_ids: &[i64]) -> QueryResult<HashMap<i64, Admitted>> {
    if ticket_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = tickets::table
        .left_join(gates::table.on(gates::id.nullable().eq(tickets::inside_gate_id)))
        .select((tickets::id, tickets::inside_since, gates::name.nullable()))
        .into_boxed();
    // Each a statement prepared once (a list on SQLite: `by_keys`).
    let rows: Vec<AdmittedTicket> = match ticket_ids {
        [id] => query.filter(tickets::id.eq(*id)).load(conn)?,
        _ if by_keys::lists_as_json(conn) => by_keys::admissions(conn, ticket_ids)?,
        _ => query.filter(tickets::id.eq_any(ticket_ids)).load(conn)?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let admitted = Admitted {
                at: row.inside_since?,
                gate: row.gate.unwrap_or_default(),
            };
            Some((row.id, admitted))
        })
        .collect())
}

/// The new scans' ids, by device and then the device's scan id.
pub type ScanIds = HashMap<i64, HashMap<String, i64>>;

fn by_device(written: Vec<(i64, String, i64)>) -> ScanIds {
    let (mut ids, count) = (ScanIds::new(), written.len());
    for (device_id, device_scan_id, id) in written {
        let of_device = ids.entry(device_id).or_insert_with(|| HashMap::with_capacity(count));
        of_device.insert(device_scan_id, id);
    }
    ids
}

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
    let written: Vec<Written> = with_backend!(&mut *conn, |c| statement.load(c)?);
    Ok(by_device(
        written
            .into_iter()
            .map(|w| (w.device_id, w.device_scan_id, w.id))
            .collect(),
    ))
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
    Ok(by_device(
        written
            .into_iter()
            .map(|(id, device_id, device_scan_id)| (device_id, device_scan_id, id))
            .collect(),
    ))
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
