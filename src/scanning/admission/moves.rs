//! Who is inside is state on the ticket (`inside_since`, `inside_gate_id`), changed only
//! by a conditional UPDATE: of two devices admitting the same ticket at the same
//! instant exactly one changes the row and is valid; the other finds it already inside
//! and is a duplicate, on SQLite and on PostgreSQL alike. Hand-written SQL, because one
//! UPDATE … CASE moves a whole batch and RETURNING says which rows it moved.

use diesel::prelude::*;

use super::queries::where_admitted;
use super::rules::{self, Checked, Decision, Moved};
use crate::db::DbConnection;
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
fn let_out_all(conn: &mut DbConnection, exits: &[i64]) -> QueryResult<TicketIds> {
    if exits.is_empty() {
        return Ok(TicketIds::new());
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

type TicketIds = std::collections::HashSet<i64>;

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
fn returned_ids(conn: &mut DbConnection, sql: &str, binds: &[i64]) -> QueryResult<TicketIds> {
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
