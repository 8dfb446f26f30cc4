//! Who is inside is state on the ticket (`inside_since`, `inside_gate_id`), changed only
//! by a conditional UPDATE: of two devices admitting the same ticket at the same
//! instant exactly one changes the row and is valid; the other finds it already inside
//! and is a duplicate, on SQLite and on PostgreSQL alike. Hand-written SQL, because one
//! UPDATE … CASE moves a whole batch and RETURNING says which rows it moved.

use diesel::prelude::*;

use super::queries::where_admitted;
use super::rules::{self, Checked, Decision, Moved};
use crate::db::{ColumnType, DbConnection, Placeholders};
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
    returned_ids(conn, &sql, Some(gate_id), as_json(entries)?)
}

/// Lets out every ticket that is inside; the ids it let out.
fn let_out_all(conn: &mut DbConnection, exits: &[i64]) -> QueryResult<TicketIds> {
    if exits.is_empty() {
        return Ok(TicketIds::new());
    }
    let ids = Placeholders::for_connection(conn).json_ids();
    let sql = format!(
        "UPDATE tickets SET inside_since = NULL, inside_gate_id = NULL \
         WHERE inside_since IS NOT NULL AND id IN ({ids}) RETURNING id"
    );
    returned_ids(conn, &sql, None, as_json(exits)?)
}

type TicketIds = std::collections::HashSet<i64>;

fn as_json(rows: &(impl serde::Serialize + ?Sized)) -> QueryResult<String> {
    serde_json::to_string(rows).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// Runs an `… RETURNING id` statement whose binds are an optional id, then a JSON
/// array; the returned ids.
fn returned_ids(conn: &mut DbConnection, sql: &str, first: Option<i64>, rows: String) -> QueryResult<TicketIds> {
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
        query.bind::<Text, _>(rows).load(c)?
    });
    Ok(rows.into_iter().map(|r| r.id).collect())
}
