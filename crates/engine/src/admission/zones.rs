//! Scans at events that have zones: the tickets' whereabouts, the group's gates and the
//! events' zones are read (locked on PostgreSQL, zones first, then tickets, each in id
//! order, so two instances wait for each other instead of deadlocking), each scan is
//! decided in order by `zone_rules::step`, and what changed is written back in the same
//! transaction: a zone's `inside` is then exact across gates and instances. Events
//! without zones never come here and keep the one-statement path of `moves.rs`.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::rules::{Checked, Decision, EntryRules};
use super::zone_rules::{self, Passage, Step, Whereabouts, ZoneScan, ZoneState};
use crate::db::{DbConnection, Placeholders, PreparedSql, SqlValue};
use crate::domain::{WhenFull, ZoneMismatch};
use crate::model::{ScanAttempt, ScanResult};
use crate::with_backend;

/// A new scan, prechecked, at a gate of an event that has zones.
pub struct ZonedMove<'a> {
    pub attempt: &'a ScanAttempt,
    pub check: Checked,
    pub gate_id: i64,
    pub ticket_type_id: i64,
    pub entry: EntryRules,
    pub mismatch: ZoneMismatch,
}

/// Decides the scans in order and stores where their holders went; the decisions in
/// the same order.
pub fn move_tickets(conn: &mut DbConnection, scans: &[ZonedMove]) -> QueryResult<Vec<Decision>> {
    let ticket_ids: Vec<i64> = distinct(scans.iter().filter_map(|scan| scan.check.as_ref().ok().copied()));
    let gates = gates(conn, &distinct(scans.iter().map(|scan| scan.gate_id)))?;
    let events = distinct(gates.values().map(|gate| gate.event_id));
    let mut zones = zones_of(conn, &events)?;
    let counted: HashMap<i64, i64> = zones.iter().map(|(id, zone)| (*id, zone.inside)).collect();
    let before = whereabouts(conn, &ticket_ids)?;
    let mut now = before.clone();
    let decisions = scans
        .iter()
        .map(|scan| decide(scan, &gates, &mut now, &mut zones))
        .collect();
    write_whereabouts(conn, &before, &now)?;
    write_zone_counts(conn, &counted, &zones)?;
    Ok(decisions)
}

fn decide(
    scan: &ZonedMove,
    gates: &HashMap<i64, GateRow>,
    whereabouts: &mut HashMap<i64, Whereabouts>,
    zones: &mut HashMap<i64, ZoneState>,
) -> Decision {
    let ticket_id = match &scan.check {
        Err(refused) => return refused.clone(),
        Ok(ticket_id) => *ticket_id,
    };
    let gate = gates.get(&scan.gate_id);
    let zone_scan = ZoneScan {
        direction: scan.attempt.direction,
        scanned_at: scan.attempt.scanned_at,
        gate_id: scan.gate_id,
        gate_name: gate.map(|gate| gate.name.clone()).unwrap_or_default(),
        passage: gate.and_then(GateRow::passage),
        ticket_type_id: scan.ticket_type_id,
        entry: scan.entry,
        mismatch: scan.mismatch,
    };
    let at = whereabouts.entry(ticket_id).or_default();
    match zone_rules::step(&zone_scan, at, zones) {
        Step::Moved { movement, warning } => Decision {
            result: ScanResult::Valid,
            reason: warning,
            ticket_id: Some(ticket_id),
            moved: Some(movement),
        },
        Step::Refused(reason) => Decision::refused(reason, Some(ticket_id)),
    }
}

fn distinct(values: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    let mut values: Vec<i64> = values.filter(|value| seen.insert(*value)).collect();
    values.sort_unstable();
    values
}

/// `FOR UPDATE OF table` where rows can be locked (PostgreSQL); SQLite's writer holds
/// the whole database already.
fn locked(conn: &DbConnection, table: &str) -> String {
    match conn {
        DbConnection::Postgresql(_) => format!(" FOR UPDATE OF {table}"),
        DbConnection::Sqlite(_) => String::new(),
    }
}

#[derive(QueryableByName)]
struct GateRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    from_zone_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    to_zone_id: Option<i64>,
}

impl GateRow {
    fn passage(&self) -> Option<Passage> {
        self.to_zone_id.map(|to| Passage {
            from: self.from_zone_id,
            to,
        })
    }
}

fn gates(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<HashMap<i64, GateRow>> {
    let list = Placeholders::for_prepared(conn).list(ids.len());
    let sql = format!("SELECT id, event_id, name, from_zone_id, to_zone_id FROM gates WHERE id IN ({list})");
    let rows: Vec<GateRow> = load_by_ids(conn, &sql, ids)?;
    Ok(rows.into_iter().map(|gate| (gate.id, gate)).collect())
}

/// Runs a statement whose binds are `ids`, in order, prepared once per connection (its
/// text is fixed for a number of ids).
fn load_by_ids<T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static>(
    conn: &mut DbConnection,
    sql: &str,
    ids: &[i64],
) -> QueryResult<Vec<T>> {
    let statement = PreparedSql::new(sql, ids.iter().copied().map(SqlValue::BigInt).collect())?;
    with_backend!(conn, |c| statement.load(c))
}

/// The events' zones, by id, each with the ticket types it lets in (one row per type),
/// locked for this transaction.
fn zones_of(conn: &mut DbConnection, events: &[i64]) -> QueryResult<HashMap<i64, ZoneState>> {
    #[derive(QueryableByName)]
    struct ZoneRow {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = BigInt)]
        capacity: i64,
        #[diesel(sql_type = Text)]
        when_full: WhenFull,
        #[diesel(sql_type = BigInt)]
        inside: i64,
        #[diesel(sql_type = BigInt)]
        correction: i64,
        #[diesel(sql_type = Nullable<BigInt>)]
        ticket_type_id: Option<i64>,
    }
    if events.is_empty() {
        return Ok(HashMap::new());
    }
    let list = Placeholders::for_prepared(conn).list(events.len());
    let lock = locked(conn, "zones");
    let sql = format!(
        "SELECT zones.id, zones.name, zones.capacity, zones.when_full, zones.inside, zones.correction, \
         zone_ticket_types.ticket_type_id FROM zones \
         LEFT JOIN zone_ticket_types ON zone_ticket_types.zone_id = zones.id \
         WHERE zones.event_id IN ({list}) ORDER BY zones.id{lock}"
    );
    let rows: Vec<ZoneRow> = load_by_ids(conn, &sql, events)?;
    let mut zones: HashMap<i64, ZoneState> = HashMap::new();
    for row in rows {
        let zone = zones.entry(row.id).or_insert_with(|| ZoneState {
            name: row.name,
            capacity: row.capacity,
            when_full: row.when_full,
            inside: row.inside,
            correction: row.correction,
            types: Vec::new(),
        });
        zone.types.extend(row.ticket_type_id);
    }
    Ok(zones)
}

/// Where the tickets' holders are, locked for this transaction.
fn whereabouts(conn: &mut DbConnection, ticket_ids: &[i64]) -> QueryResult<HashMap<i64, Whereabouts>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Nullable<BigInt>)]
        inside_since: Option<i64>,
        #[diesel(sql_type = Nullable<BigInt>)]
        inside_zone_id: Option<i64>,
        #[diesel(sql_type = Nullable<BigInt>)]
        inside_gate_id: Option<i64>,
        #[diesel(sql_type = Nullable<Text>)]
        gate_name: Option<String>,
        #[diesel(sql_type = Nullable<BigInt>)]
        last_entered_at: Option<i64>,
    }
    if ticket_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list = Placeholders::for_prepared(conn).list(ticket_ids.len());
    let lock = locked(conn, "tickets");
    let sql = format!(
        "SELECT tickets.id, tickets.inside_since, tickets.inside_zone_id, tickets.inside_gate_id, \
         gates.name AS gate_name, tickets.last_entered_at \
         FROM tickets LEFT JOIN gates ON gates.id = tickets.inside_gate_id \
         WHERE tickets.id IN ({list}) ORDER BY tickets.id{lock}"
    );
    let rows: Vec<Row> = load_by_ids(conn, &sql, ticket_ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let at = Whereabouts {
                inside_since: row.inside_since,
                zone: row.inside_zone_id,
                gate_id: row.inside_gate_id,
                gate_name: row.gate_name.unwrap_or_default(),
                last_entered_at: row.last_entered_at,
            };
            (row.id, at)
        })
        .collect())
}

/// One UPDATE per ticket whose holder moved (prepared once per connection).
fn write_whereabouts(
    conn: &mut DbConnection,
    before: &HashMap<i64, Whereabouts>,
    now: &HashMap<i64, Whereabouts>,
) -> QueryResult<()> {
    let mut params = Placeholders::for_prepared(conn);
    let sql = format!(
        "UPDATE tickets SET inside_since = {}, last_entered_at = {}, inside_gate_id = {}, inside_zone_id = {} \
         WHERE id = {}",
        params.placeholder(),
        params.placeholder(),
        params.placeholder(),
        params.placeholder(),
        params.placeholder()
    );
    for (id, at) in now {
        if before.get(id) == Some(at) {
            continue;
        }
        let binds = vec![
            SqlValue::MaybeBigInt(at.inside_since),
            SqlValue::MaybeBigInt(at.last_entered_at),
            SqlValue::MaybeBigInt(at.gate_id),
            SqlValue::MaybeBigInt(at.zone),
            SqlValue::BigInt(*id),
        ];
        let statement = PreparedSql::new(&sql, binds)?;
        with_backend!(conn, |c| statement.execute(c))?;
    }
    Ok(())
}

/// The new counts of the zones people moved into or out of.
fn write_zone_counts(
    conn: &mut DbConnection,
    counted: &HashMap<i64, i64>,
    zones: &HashMap<i64, ZoneState>,
) -> QueryResult<()> {
    for (id, zone) in zones {
        if counted.get(id) == Some(&zone.inside) {
            continue;
        }
        // Hand-written and prepared once per connection: one per moving group.
        let mut params = Placeholders::for_prepared(conn);
        let sql = format!(
            "UPDATE zones SET inside = {} WHERE id = {}",
            params.placeholder(),
            params.placeholder()
        );
        let statement = PreparedSql::new(&sql, vec![SqlValue::BigInt(zone.inside), SqlValue::BigInt(*id)])?;
        with_backend!(conn, |c| statement.execute(c))?;
    }
    Ok(())
}
