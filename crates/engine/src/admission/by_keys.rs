//! The writer's reads by a list of keys, on SQLite: the list travels as one JSON array,
//! so each read is one statement prepared once per connection. diesel writes a list as
//! `IN (?, ?, …)`, a new statement for every length, which SQLite parsed and planned
//! again for every group (a tenth of the writer's time under one scan per request).
//! PostgreSQL binds the list as one array to diesel's own statement, prepared once.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::db::{DbConnection, Placeholders, PreparedSql, SqlValue};
use crate::domain::TicketStatus;
use crate::with_backend;

/// Whether reads by a list of keys go through here on this connection (SQLite).
pub(super) fn lists_as_json(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Sqlite(_))
}

/// `{column} IN (each element of the JSON array bound at the next placeholder)`.
fn in_list(params: &mut Placeholders, column: &str) -> String {
    format!("{column} IN ({})", params.json_ids())
}

fn load<T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static>(
    conn: &mut DbConnection,
    sql: &str,
    binds: Vec<SqlValue>,
) -> QueryResult<Vec<T>> {
    let statement = PreparedSql::new(sql, binds)?;
    with_backend!(conn, |c| statement.load(c))
}

/// A scan as it was answered the first time.
#[derive(Queryable, QueryableByName)]
pub(super) struct EarlierAnswer {
    #[diesel(sql_type = BigInt)]
    pub device_id: i64,
    #[diesel(sql_type = Text)]
    pub device_scan_id: String,
    #[diesel(sql_type = Text)]
    pub ticket_code: String,
    #[diesel(sql_type = BigInt)]
    pub scan_id: i64,
    #[diesel(sql_type = Text)]
    pub result: crate::model::ScanResult,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub admitted_at: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub admitted_gate: Option<String>,
}

/// The columns of an `EarlierAnswer`, read from `scans`.
pub(super) const EARLIER_ANSWER: &str = "scans.device_id, scans.device_scan_id, scans.ticket_code, \
     scans.id AS scan_id, scans.result, scans.reason, scans.admitted_at, scans.admitted_gate";

/// One device's earlier answers to these scan ids.
pub(super) fn answers_of_device(conn: &mut DbConnection, device: i64, ids: &[&str]) -> QueryResult<Vec<EarlierAnswer>> {
    let mut params = Placeholders::for_prepared(conn);
    let (device_is, listed) = (params.placeholder(), in_list(&mut params, "scans.device_scan_id"));
    let sql = format!("SELECT {EARLIER_ANSWER} FROM scans WHERE scans.device_id = {device_is} AND {listed}");
    load(conn, &sql, vec![SqlValue::BigInt(device), SqlValue::json(ids)?])
}

/// A ticket as the rules read it, with its organisation and code.
#[derive(Queryable, QueryableByName)]
pub(super) struct TicketByCode {
    #[diesel(sql_type = BigInt)]
    pub organization_id: i64,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = Text)]
    pub status: TicketStatus,
    #[diesel(sql_type = BigInt)]
    pub ticket_type_id: i64,
}

/// The tickets of these codes, of any organisation (the caller keeps its tenant's).
pub(super) fn tickets_by_codes(conn: &mut DbConnection, codes: &[&str]) -> QueryResult<Vec<TicketByCode>> {
    let mut params = Placeholders::for_prepared(conn);
    let listed = in_list(&mut params, "tickets.code");
    let sql = format!(
        "SELECT tickets.organization_id, tickets.code, tickets.id, tickets.event_id, tickets.status, \
         tickets.ticket_type_id FROM tickets WHERE {listed}"
    );
    load(conn, &sql, vec![SqlValue::json(codes)?])
}

/// When and at which gate a ticket inside was admitted.
#[derive(Queryable, QueryableByName)]
pub(super) struct AdmittedTicket {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub inside_since: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub gate: Option<String>,
}

/// These tickets' admissions (a ticket outside has no `inside_since`).
pub(super) fn admissions(conn: &mut DbConnection, ticket_ids: &[i64]) -> QueryResult<Vec<AdmittedTicket>> {
    let mut params = Placeholders::for_prepared(conn);
    let listed = in_list(&mut params, "tickets.id");
    let sql = format!(
        "SELECT tickets.id, tickets.inside_since, gates.name AS gate FROM tickets \
         LEFT OUTER JOIN gates ON gates.id = tickets.inside_gate_id WHERE {listed}"
    );
    load(conn, &sql, vec![SqlValue::json(ticket_ids)?])
}
