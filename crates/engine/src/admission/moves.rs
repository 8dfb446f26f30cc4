//! Who is inside is state on the ticket (`inside_since`, `inside_gate_id`), changed only
//! by a conditional UPDATE: of two devices admitting the same ticket at the same
//! instant exactly one changes the row and is valid; the other finds it already inside
//! and is a duplicate, on SQLite and on PostgreSQL alike. Hand-written SQL, because one
//! UPDATE … CASE moves a whole batch and RETURNING says which rows it moved.

use diesel::prelude::*;

use super::queries::where_admitted;
use super::rules::{self, Checked, Decision, EntryRules, Moved};
use crate::db::{json_bind, ColumnType, DbConnection, Placeholders, PreparedSql, SqlValue, JSON_ROWS_FROM};
use crate::model::{Direction, ScanAttempt};

/// A new scan, prechecked, whose ticket may move: at this gate, under these entry rules.
pub struct ToMove<'a> {
    pub attempt: &'a ScanAttempt,
    pub check: Checked,
    pub gate_id: i64,
    pub entry: EntryRules,
}

/// Admits and lets out the checked tickets, in order, each under its event's entry
/// rules (checked by the admitting UPDATE itself); the decisions in the same order.
/// When no ticket appears twice, all entries are one conditional UPDATE and all exits
/// another; otherwise each scan is its own conditional UPDATE, so an entry followed by
/// an exit of the same ticket is decided in sequence.
pub fn move_tickets(conn: &mut DbConnection, scans: Vec<ToMove>) -> QueryResult<Vec<Decision>> {
    if rules::moves_in_sequence(scans.iter().map(|scan| &scan.check)) {
        return scans
            .into_iter()
            .map(|scan| {
                let moved = match &scan.check {
                    Ok(_) => move_together(conn, std::slice::from_ref(&scan))?,
                    Err(_) => Moved::default(),
                };
                Ok(rules::decide(scan.attempt, scan.check, &moved, &scan.entry))
            })
            .collect();
    }
    let moved = move_together(conn, &scans)?;
    Ok(scans
        .into_iter()
        .map(|scan| rules::decide(scan.attempt, scan.check, &moved, &scan.entry))
        .collect())
}

/// Moves distinct tickets at once: one UPDATE for the entries, one for the exits, and
/// for entries refused, where their holders were let in. Scans refused already are skipped.
fn move_together(conn: &mut DbConnection, scans: &[ToMove]) -> QueryResult<Moved> {
    let going = |direction: Direction| {
        scans
            .iter()
            .filter(move |scan| scan.attempt.direction == direction)
            .filter_map(|scan| scan.check.as_ref().ok().map(|ticket_id| (scan, *ticket_id)))
    };
    let entries: Vec<Entry> = going(Direction::In)
        .map(|(scan, ticket_id)| {
            let at = scan.attempt.scanned_at;
            (ticket_id, at, scan.entry.entered_before(at), scan.gate_id)
        })
        .collect();
    let exits: Vec<i64> = going(Direction::Out).map(|(_, ticket_id)| ticket_id).collect();
    let admitted = admit_all(conn, &entries)?;
    let left = let_out_all(conn, &exits)?;
    let refused: Vec<i64> = entries
        .iter()
        .map(|(ticket_id, ..)| *ticket_id)
        .filter(|ticket_id| !admitted.contains(ticket_id))
        .collect();
    let inside = where_admitted(conn, &refused)?;
    Ok(Moved { admitted, left, inside })
}

/// An entry to make: the ticket, its scan's time, the instant its last entry must
/// precede (`EntryRules::entered_before`) and the gate it comes through.
type Entry = (i64, i64, i64, i64);

/// Admits every ticket not inside yet whose last entry was before its bound, at its
/// scan's time (kept as its last entry); the ids it admitted.
fn admit_all(conn: &mut DbConnection, entries: &[Entry]) -> QueryResult<TicketIds> {
    if entries.is_empty() {
        return Ok(TicketIds::new());
    }
    if entries.len() < JSON_ROWS_FROM {
        return admit_few(conn, entries);
    }
    let mut params = Placeholders::for_prepared(conn);
    // One gate (a device's long batch) is bound once; a group's gates travel per row.
    let one_gate = entries
        .iter()
        .all(|entry| entry.3 == entries[0].3)
        .then_some(entries[0].3);
    let gate_bind = one_gate.map(|_| params.placeholder());
    let rows = params.json_rows("e");
    let (ticket, at, bound) = (
        params.field("e", 0, ColumnType::BigInt),
        params.field("e", 1, ColumnType::BigInt),
        params.field("e", 2, ColumnType::BigInt),
    );
    let gate = gate_bind.unwrap_or_else(|| params.field("e", 3, ColumnType::BigInt));
    let rows_json = match one_gate {
        Some(_) => json_bind(&entries.iter().map(|e| (e.0, e.1, e.2)).collect::<Vec<_>>())?,
        None => json_bind(entries)?,
    };
    let sql = format!(
        "UPDATE tickets SET inside_since = {at}, last_entered_at = {at}, inside_gate_id = {gate} FROM {rows} \
         WHERE tickets.id = {ticket} AND (tickets.last_entered_at IS NULL OR tickets.last_entered_at < {bound}) \
         AND tickets.inside_since IS NULL RETURNING tickets.id"
    );
    returned_ids(conn, &sql, Binds::Json(one_gate, rows_json))
}

/// `admit_all` for a few tickets, each value its own bind (cheaper than the JSON rows
/// for a handful; quadratic in SQLite's code generator for hundreds).
fn admit_few(conn: &mut DbConnection, entries: &[Entry]) -> QueryResult<TicketIds> {
    let mut params = Placeholders::for_prepared(conn);
    let mut binds = Vec::with_capacity(entries.len() * 9 + 1);
    let at = case_by_ticket(&mut params, &mut binds, entries, |entry| entry.1);
    let last = case_by_ticket(&mut params, &mut binds, entries, |entry| entry.1);
    // One gate (one device's batch) is one bind; a group's several, one per ticket.
    let gate = match entries.iter().all(|entry| entry.3 == entries[0].3) {
        true => {
            binds.push(entries[0].3);
            params.placeholder()
        }
        false => case_by_ticket(&mut params, &mut binds, entries, |entry| entry.3),
    };
    let list = params.list(entries.len());
    binds.extend(entries.iter().map(|entry| entry.0));
    // The policy's bound only where it can refuse: under re-entry the statement is as before.
    let bound = match entries.iter().any(|entry| entry.2 != i64::MAX) {
        true => {
            let bound = case_by_ticket(&mut params, &mut binds, entries, |entry| entry.2);
            format!(" AND (last_entered_at IS NULL OR last_entered_at < {bound})")
        }
        false => String::new(),
    };
    let sql = format!(
        "UPDATE tickets SET inside_since = {at}, last_entered_at = {last}, inside_gate_id = {gate} \
         WHERE inside_since IS NULL AND id IN ({list}){bound} RETURNING id"
    );
    returned_ids(conn, &sql, Binds::Ids(binds))
}

/// `CASE id WHEN ? THEN ? … END`: one value per ticket of the entries, bound in order.
fn case_by_ticket(
    params: &mut Placeholders,
    binds: &mut Vec<i64>,
    entries: &[Entry],
    value: fn(&Entry) -> i64,
) -> String {
    let mut case = String::from("CASE id");
    for entry in entries {
        case.push_str(&format!(" WHEN {} THEN {}", params.placeholder(), params.placeholder()));
        binds.extend([entry.0, value(entry)]);
    }
    case + " END"
}

/// Lets out every ticket that is inside; the ids it let out. The unary `+` keeps the
/// partial index of who is inside out of it: SQLite would walk everyone inside and
/// test each against the batch instead of finding the batch's tickets by key
/// (`tests/api/platform/query_plans/`).
fn let_out_all(conn: &mut DbConnection, exits: &[i64]) -> QueryResult<TicketIds> {
    if exits.is_empty() {
        return Ok(TicketIds::new());
    }
    let mut params = Placeholders::for_prepared(conn);
    let (ids, binds) = match exits.len() < JSON_ROWS_FROM {
        true => (params.list(exits.len()), Binds::Ids(exits.to_vec())),
        false => (params.json_ids(), Binds::Json(None, json_bind(exits)?)),
    };
    let sql = format!(
        "UPDATE tickets SET inside_since = NULL, inside_gate_id = NULL \
         WHERE +inside_since IS NOT NULL AND id IN ({ids}) RETURNING id"
    );
    returned_ids(conn, &sql, binds)
}

type TicketIds = std::collections::HashSet<i64>;

/// The binds of a hand-written batch statement, written with `Placeholders::for_prepared`
/// and prepared once per connection for each text: each value its own BIGINT (a text
/// per length, for fewer than `JSON_ROWS_FROM`), or an optional BIGINT and then the
/// whole batch as one JSON array (one text).
enum Binds {
    Ids(Vec<i64>),
    Json(Option<i64>, String),
}

/// Runs an `… RETURNING id` statement; the returned ids.
fn returned_ids(conn: &mut DbConnection, sql: &str, binds: Binds) -> QueryResult<TicketIds> {
    use diesel::sql_types::BigInt;
    #[derive(QueryableByName)]
    struct Returned {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let binds = match binds {
        Binds::Ids(ids) => ids.into_iter().map(SqlValue::BigInt).collect(),
        Binds::Json(first, rows) => first
            .map(SqlValue::BigInt)
            .into_iter()
            .chain([SqlValue::Text(rows)])
            .collect(),
    };
    let statement = PreparedSql::new(sql, binds)?;
    let rows: Vec<Returned> = crate::with_backend!(conn, |c| statement.load(c)?);
    Ok(rows.into_iter().map(|r| r.id).collect())
}
