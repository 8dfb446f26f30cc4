//! What the admission decision writes besides the scans (`scan_inserts.rs`), and one
//! read it makes after moving tickets: the devices seen, where refused tickets were let in.

use std::collections::HashMap;

use diesel::prelude::*;

use super::by_keys::{self, AdmittedTicket};
use crate::db::schema::{gates, tickets};
use crate::db::{DbConnection, Placeholders, PreparedSql, SqlValue};
use crate::model::Admitted;
use crate::with_backend;

/// How stale a device's "last seen" may be: a device scanning all the time is written
/// once a second, not with every group (its row rewritten each time, on PostgreSQL
/// with every index of `devices`). Status pages count in minutes.
const SEEN_WITHIN_MS: i64 = 1_000;

/// Marks the group's devices seen now, unless they were within the last second: one
/// UPDATE (a single device's is prepared once).
pub fn mark_devices_seen(conn: &mut DbConnection, device_ids: &[i64], now: i64) -> QueryResult<()> {
    // Hand-written: diesel prepares every UPDATE again; these are prepared once.
    let mut params = Placeholders::for_prepared(conn);
    let seen = params.placeholder();
    let (devices, listed) = match device_ids {
        [device] => (params.placeholder(), SqlValue::BigInt(*device)),
        _ => (params.json_ids(), SqlValue::json(device_ids)?),
    };
    let stale = params.placeholder();
    let sql = format!(
        "UPDATE devices SET last_heartbeat_at = {seen} WHERE id IN ({devices}) \
         AND (last_heartbeat_at IS NULL OR last_heartbeat_at < {stale})"
    );
    let binds = vec![SqlValue::BigInt(now), listed, SqlValue::BigInt(now - SEEN_WITHIN_MS)];
    let statement = PreparedSql::new(&sql, binds)?;
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
