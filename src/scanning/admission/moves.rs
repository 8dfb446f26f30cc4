//! Who is inside is state on the ticket (`inside_since`, `inside_gate_id`), changed only
//! by a conditional UPDATE: of two devices admitting the same ticket at the same
//! instant exactly one changes the row and is valid; the other finds it already inside
//! and is a duplicate, on SQLite and on PostgreSQL alike. Hand-written SQL, because one
//! UPDATE … CASE moves a whole batch and RETURNING says which rows it moved.

use diesel::prelude::*;

use super::queries::where_admitted;
use super::rules::{self, Checked, Decision, Moved};
use crate::db::{ColumnType, DbConnection, Placeholders, JSON_ROWS_FROM};
use crate::scanning::model::{Direction, GateDevice, ScanAttempt};

/// Admits and lets out the checked tickets, in the batch's order. When no ticket
/// appears twice, all entries are one conditional UPDATE and all exits another;
/// otherwise each scan is its own conditional UPDATE, so an entry followed by an exit
/// of the same ticket in one batch is decided in sequence.
pub fn move_tickets<'a>(
    conn: &mut DbConnection,
    device: GateDevice,
    checked: Vec<(&'a ScanAttempt, Checked)>,
) -> QueryResult<Vec<(&'a ScanAttempt, Decision)>> {
    if rules::moves_in_sequence(&checked) {
        return checked
            .into_iter()
            .map(|(attempt, check)| {
                let moved = match &check {
                    Ok(ticket_id) => move_together(conn, device, &[(attempt, *ticket_id)])?,
                    Err(_) => Moved::default(),
                };
                Ok((attempt, rules::decide(attempt, check, &moved)))
            })
            .collect();
    }
    let wanted: Vec<(&ScanAttempt, i64)> = checked
        .iter()
        .filter_map(|(attempt, check)| check.as_ref().ok().map(|ticket_id| (*attempt, *ticket_id)))
        .collect();
    let moved = move_together(conn, device, &wanted)?;
    Ok(checked
        .into_iter()
        .map(|(attempt, check)| (attempt, rules::decide(attempt, check, &moved)))
        .collect())
}

/// Moves distinct tickets at once: one UPDATE for the entries, one for the exits, and
/// for entries refused, where their holders were let in.
fn move_together(conn: &mut DbConnection, device: GateDevice, wanted: &[(&ScanAttempt, i64)]) -> QueryResult<Moved> {
    let going = |direction: Direction| wanted.iter().filter(move |(attempt, _)| attempt.direction == direction);
    let entries: Vec<(i64, i64)> = going(Direction::In)
        .map(|(attempt, ticket_id)| (*ticket_id, attempt.scanned_at))
        .collect();
    let exits: Vec<i64> = going(Direction::Out).map(|(_, ticket_id)| *ticket_id).collect();
    let admitted = admit_all(conn, device.gate_id, &entries)?;
    let left = let_out_all(conn, &exits)?;
    let refused: Vec<i64> = entries
        .iter()
        .map(|(ticket_id, _)| *ticket_id)
        .filter(|ticket_id| !admitted.contains(ticket_id))
        .collect();
    let inside = where_admitted(conn, &refused)?;
    Ok(Moved { admitted, left, inside })
}

/// Admits every ticket not inside yet, at its scan's time; the ids it admitted.
fn admit_all(conn: &mut DbConnection, gate_id: i64, entries: &[(i64, i64)]) -> QueryResult<TicketIds> {
    if entries.is_empty() {
        return Ok(TicketIds::new());
    }
    if entries.len() < JSON_ROWS_FROM {
        return admit_few(conn, gate_id, entries);
    }
    let mut params = Placeholders::for_connection(conn);
    let gate = params.placeholder();
    let rows = params.json_rows("e");
    let (ticket, at) = (
        params.field("e", 0, ColumnType::BigInt),
        params.field("e", 1, ColumnType::BigInt),
    );
    let sql = format!(
        "UPDATE tickets SET inside_since = {at}, inside_gate_id = {gate} FROM {rows} \
         WHERE tickets.id = {ticket} AND tickets.inside_since IS NULL RETURNING tickets.id"
    );
    returned_ids(conn, &sql, Some(gate_id), Binds::Json(as_json(entries)?))
}

/// `admit_all` for a few tickets, each value its own bind (cheaper than the JSON rows
/// for a handful; quadratic in SQLite's code generator for hundreds).
fn admit_few(conn: &mut DbConnection, gate_id: i64, entries: &[(i64, i64)]) -> QueryResult<TicketIds> {
    let mut params = Placeholders::for_connection(conn);
    let mut binds = Vec::with_capacity(entries.len() * 3 + 1);
    let mut sql = String::from("UPDATE tickets SET inside_since = CASE id");
    for (ticket_id, at) in entries {
        sql.push_str(&format!(" WHEN {} THEN {}", params.placeholder(), params.placeholder()));
        binds.extend([*ticket_id, *at]);
    }
    let gate = params.placeholder();
    let list = params.list(entries.len());
    sql.push_str(&format!(
        " END, inside_gate_id = {gate} WHERE inside_since IS NULL AND id IN ({list}) RETURNING id"
    ));
    binds.push(gate_id);
    binds.extend(entries.iter().map(|(ticket_id, _)| *ticket_id));
    returned_ids(conn, &sql, None, Binds::Ids(binds))
}

/// Lets out every ticket that is inside; the ids it let out. The unary `+` keeps the
/// partial index of who is inside out of it: SQLite would walk everyone inside and
/// test each against the batch instead of finding the batch's tickets by key
/// (`tests/api/query_plans.rs`).
fn let_out_all(conn: &mut DbConnection, exits: &[i64]) -> QueryResult<TicketIds> {
    if exits.is_empty() {
        return Ok(TicketIds::new());
    }
    let mut params = Placeholders::for_connection(conn);
    let (ids, binds) = if exits.len() < JSON_ROWS_FROM {
        (params.list(exits.len()), Binds::Ids(exits.to_vec()))
    } else {
        (params.json_ids(), Binds::Json(as_json(exits)?))
    };
    let sql = format!(
        "UPDATE tickets SET inside_since = NULL, inside_gate_id = NULL \
         WHERE +inside_since IS NOT NULL AND id IN ({ids}) RETURNING id"
    );
    returned_ids(conn, &sql, None, binds)
}

type TicketIds = std::collections::HashSet<i64>;

fn as_json(rows: &(impl serde::Serialize + ?Sized)) -> QueryResult<String> {
    serde_json::to_string(rows).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// The binds of a hand-written batch statement after its optional first id: each
/// value its own BIGINT, or the whole batch as one JSON array.
enum Binds {
    Ids(Vec<i64>),
    Json(String),
}

/// Runs an `… RETURNING id` statement; the returned ids.
fn returned_ids(conn: &mut DbConnection, sql: &str, first: Option<i64>, binds: Binds) -> QueryResult<TicketIds> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Returned {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let rows: Vec<Returned> = crate::with_backend!(conn, |c| {
        let query = diesel::sql_query(sql).into_boxed();
        let query = match first {
            Some(id) => query.bind::<BigInt, _>(id),
            None => query,
        };
        match &binds {
            Binds::Ids(ids) => ids.iter().fold(query, |q, id| q.bind::<BigInt, _>(*id)).load(c)?,
            Binds::Json(rows) => query.bind::<Text, _>(rows.clone()).load(c)?,
        }
    });
    Ok(rows.into_iter().map(|r| r.id).collect())
}
