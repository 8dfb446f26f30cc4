//! The new scans' INSERT on SQLite: a fixed number of rows, each value its own bind,
//! so each size is prepared once per connection and read straight from its binds.
//! Through `jsonb_each` and a `->>` per field (still PostgreSQL's way: one round trip
//! whatever the group) SQLite spent ~17,000 instructions a scan taking the JSON apart,
//! a sixth of the scan writer's work (BENCHMARKS.md, 2026-12-07). One statement per
//! scan instead costs more: each opens a statement journal and copies every page it
//! touches into it.

use std::sync::OnceLock;

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use super::NewScan;
use crate::db::{DbConnection, Placeholders, PreparedSql, SqlText, SqlValue};
use crate::model::Reason;
use crate::with_backend;

/// The most rows one statement carries; a group's last rows go in the smallest power
/// of two that holds them, padded with empty rows the INSERT skips.
const MOST_ROWS: usize = 32;

/// The INSERT of 1, 2, 4 … `MOST_ROWS` rows, written once.
static INSERTS: OnceLock<Vec<SqlText>> = OnceLock::new();

/// The columns each row binds, in `COLUMNS`' order after `received_at`.
const ROW_BINDS: usize = 13;
const COLUMNS: &str = "received_at, organization_id, event_id, gate_id, device_id, device_scan_id, \
     ticket_code, ticket_id, direction, scanned_at, result, reason, admitted_at, admitted_gate";

/// A stored scan's id, as the scans' INSERTs return it (these and `scan_inserts.rs`'s).
#[derive(QueryableByName)]
pub(super) struct Written {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub device_id: i64,
    #[diesel(sql_type = Text)]
    pub device_scan_id: String,
}

/// Writes the new scans `MOST_ROWS` at a time; what each row was given.
pub(super) fn insert_in_rows(conn: &mut DbConnection, new: &[NewScan], received_at: i64) -> QueryResult<Vec<Written>> {
    let mut written = Vec::with_capacity(new.len());
    for chunk in new.chunks(MOST_ROWS) {
        let size = chunk.len().next_power_of_two();
        let mut binds = Vec::with_capacity(1 + size * ROW_BINDS);
        binds.push(SqlValue::BigInt(received_at));
        chunk.iter().for_each(|scan| binds.extend(row_binds(scan)));
        (chunk.len()..size).for_each(|_| binds.extend(empty_row()));
        let inserts = INSERTS.get_or_init(|| {
            let sizes = std::iter::successors(Some(1), |size| Some(size * 2)).take_while(|size| *size <= MOST_ROWS);
            sizes.map(|size| SqlText::new(&insert_sql(conn, size))).collect()
        });
        let statement = PreparedSql::with_text(&inserts[size.trailing_zeros() as usize], binds)?;
        written.extend(with_backend!(&mut *conn, |c| statement.load::<Written>(c)?));
    }
    Ok(written)
}

fn row_binds(scan: &NewScan) -> [SqlValue; ROW_BINDS] {
    let (batch, attempt, decision) = (&scan.batch, scan.attempt, &scan.decision);
    let admitted = decision.admitted();
    [
        SqlValue::BigInt(batch.tenant.organization_id()),
        SqlValue::BigInt(batch.device.event_id),
        SqlValue::BigInt(batch.device.gate_id),
        SqlValue::BigInt(batch.device.device_id),
        // Nullable only for the padding rows (`empty_row`).
        SqlValue::MaybeText(Some(attempt.device_scan_id.clone())),
        SqlValue::Text(attempt.ticket_code.clone()),
        SqlValue::MaybeBigInt(decision.ticket_id),
        SqlValue::Text(attempt.direction.as_stored().to_owned()),
        SqlValue::BigInt(attempt.scanned_at),
        SqlValue::Text(decision.result.as_stored().to_owned()),
        SqlValue::MaybeText(decision.reason.as_ref().map(Reason::message)),
        SqlValue::MaybeBigInt(admitted.map(|a| a.at)),
        SqlValue::MaybeText(admitted.map(|a| a.gate.clone())),
    ]
}

/// A padding row: its NULL scan id is what the INSERT skips.
fn empty_row() -> [SqlValue; ROW_BINDS] {
    std::array::from_fn(|_| SqlValue::MaybeText(None))
}

/// `size` rows of binds as a `VALUES` table (its columns `column1`… as SQLite names them).
fn insert_sql(conn: &DbConnection, size: usize) -> String {
    let mut params = Placeholders::for_prepared(conn);
    let received_at = params.placeholder();
    let rows: Vec<String> = (0..size).map(|_| format!("({})", params.list(ROW_BINDS))).collect();
    let columns: Vec<String> = (1..=ROW_BINDS).map(|i| format!("column{i}")).collect();
    format!(
        "INSERT INTO scans ({COLUMNS}) SELECT {received_at}, {} FROM (VALUES {}) WHERE column5 IS NOT NULL \
         RETURNING id, device_id, device_scan_id",
        columns.join(", "),
        rows.join(", ")
    )
}
