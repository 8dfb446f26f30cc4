//! What the admission rules read for a whole writer group, one statement each whatever
//! the group's size: earlier answers to its scan ids, its tickets, its gates' allowed
//! ticket types and its events' entry rules. Every row carries its organisation, and
//! each batch sees only its own tenant's.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::by_keys::{self, EarlierAnswer, TicketByCode, EARLIER_ANSWER};
use super::rules::{Earlier, EntryRules, TicketAtGate};
use super::DeviceBatch;
use crate::db::schema::{events, gate_ticket_types, scans, tickets};
use crate::db::{ColumnType, DbConnection, Placeholders, Tenant};
use crate::domain::{EntryPolicy, TimeZone, ZoneMismatch};
use crate::model::{Admitted, RecordedScan};
use crate::with_backend;

/// Everything a group's batches are decided from, as it stood when the group began.
pub struct GroupReads {
    earlier: HashMap<i64, Earlier<RecordedScan>>,
    /// By code: the ticket and its organisation.
    tickets: HashMap<String, (i64, TicketAtGate)>,
    /// By gate: its organisation and allowed types.
    allowed: HashMap<i64, (i64, Vec<i64>)>,
    /// By event: its organisation and entry rules.
    entry: HashMap<i64, (i64, EntryRules)>,
}

impl GroupReads {
    pub fn load(conn: &mut DbConnection, batches: &[DeviceBatch]) -> QueryResult<Self> {
        Ok(Self {
            earlier: earlier_answers(conn, batches)?,
            tickets: tickets_by_code(conn, batches)?,
            allowed: allowed_ticket_types(conn, batches)?,
            entry: entry_rules(conn, batches)?,
        })
    }

    /// A device's earlier answers to the group's scan ids.
    pub fn earlier(&self, device_id: i64) -> &Earlier<RecordedScan> {
        static NONE: std::sync::LazyLock<Earlier<RecordedScan>> = std::sync::LazyLock::new(HashMap::new);
        self.earlier.get(&device_id).unwrap_or(&NONE)
    }

    /// The tenant's ticket of this code (another organisation's does not exist).
    pub fn ticket(&self, tenant: &Tenant, code: &str) -> Option<&TicketAtGate> {
        self.tickets
            .get(code)
            .filter(|(org, _)| *org == tenant.organization_id())
            .map(|(_, ticket)| ticket)
    }

    /// The ticket types a gate lets in; empty means every type.
    pub fn allowed(&self, tenant: &Tenant, gate_id: i64) -> &[i64] {
        self.allowed
            .get(&gate_id)
            .filter(|(org, _)| *org == tenant.organization_id())
            .map_or(&[], |(_, types)| types.as_slice())
    }

    /// The event's entry rules as they stand now; an event of another tenant is not found.
    pub fn entry_rules(&self, tenant: &Tenant, event_id: i64) -> QueryResult<EntryRules> {
        self.entry
            .get(&event_id)
            .filter(|(org, _)| *org == tenant.organization_id())
            .map(|(_, rules)| *rules)
            .ok_or(diesel::result::Error::NotFound)
    }
}

/// The distinct values of `key` over the batches, in first-seen order.
fn distinct<T: Copy + Eq + std::hash::Hash>(batches: &[DeviceBatch], key: impl Fn(&DeviceBatch) -> T) -> Vec<T> {
    let mut seen = HashSet::new();
    batches.iter().map(key).filter(|value| seen.insert(*value)).collect()
}

/// Earlier answers to the group's scan ids from its devices, with their ticket codes.
fn earlier_answers(
    conn: &mut DbConnection,
    batches: &[DeviceBatch],
) -> QueryResult<HashMap<i64, Earlier<RecordedScan>>> {
    let rows = match distinct(batches, |batch| batch.device.device_id).as_slice() {
        [device] => one_devices_answers(conn, *device, batches)?,
        _ => answers_by_pair(conn, batches)?,
    };
    let mut earlier: HashMap<i64, Earlier<RecordedScan>> = HashMap::new();
    for row in rows {
        let admitted = row
            .admitted_at
            .zip(row.admitted_gate)
            .map(|(at, gate)| Admitted { at, gate });
        let answer = RecordedScan {
            scan_id: row.scan_id,
            result: row.result,
            reason: row.reason,
            admitted,
            replayed: true,
            conflict: false,
            moved: None,
        };
        let device = earlier.entry(row.device_id).or_default();
        device.insert(row.device_scan_id, (row.ticket_code, answer));
    }
    Ok(earlier)
}

/// One device's: each a statement prepared once (a list on SQLite: `by_keys`).
fn one_devices_answers(
    conn: &mut DbConnection,
    device: i64,
    batches: &[DeviceBatch],
) -> QueryResult<Vec<EarlierAnswer>> {
    let ids: Vec<&str> = batches
        .iter()
        .flat_map(|batch| batch.attempts.iter().map(|a| a.device_scan_id.as_str()))
        .collect();
    let query = scans::table.filter(scans::device_id.eq(device)).into_boxed();
    let query = match ids.as_slice() {
        [id] => query.filter(scans::device_scan_id.eq(*id)),
        _ if by_keys::lists_as_json(conn) => return by_keys::answers_of_device(conn, device, &ids),
        _ => query.filter(scans::device_scan_id.eq_any(ids)),
    };
    query
        .select((
            scans::device_id,
            scans::device_scan_id,
            scans::ticket_code,
            scans::id,
            scans::result,
            scans::reason,
            scans::admitted_at,
            scans::admitted_gate,
        ))
        .load(conn)
}

/// Several devices': each (device, scan id) pair looked up by key, the pairs one JSON
/// bind (two `IN` lists would look up every device with every scan id).
fn answers_by_pair(conn: &mut DbConnection, batches: &[DeviceBatch]) -> QueryResult<Vec<EarlierAnswer>> {
    let pairs: Vec<(i64, &str)> = batches
        .iter()
        .flat_map(|batch| {
            batch
                .attempts
                .iter()
                .map(|a| (batch.device.device_id, a.device_scan_id.as_str()))
        })
        .collect();
    let pairs = crate::db::json_bind(&pairs)?;
    // Planned on every run (not prepared once): a plan kept from while the table was
    // small would read it whole for every group until the next ANALYZE.
    let mut params = Placeholders::for_connection(conn);
    let rows = params.json_rows("p");
    let (device, scan_id) = (
        params.field("p", 0, ColumnType::BigInt),
        params.field("p", 1, ColumnType::Text),
    );
    let sql = match matches!(conn, DbConnection::Postgresql(_)) {
        // Each pair its own probe of the key: as a join, PostgreSQL hashes the whole
        // table while its statistics say it is small (a fresh event's first minutes:
        // 2 ms a group at 12,000 scans, growing), and guesses 100 pairs for any array.
        true => format!(
            "SELECT {EARLIER_ANSWER} FROM {rows} CROSS JOIN LATERAL (SELECT * FROM scans \
             WHERE scans.device_id = {device} AND scans.device_scan_id = {scan_id} OFFSET 0) AS scans"
        ),
        false => format!(
            "SELECT {EARLIER_ANSWER} FROM scans JOIN {rows} ON scans.device_id = {device} AND scans.device_scan_id = {scan_id}"
        ),
    };
    with_backend!(conn, |c| diesel::sql_query(&sql).bind::<Text, _>(&pairs).load(c))
}

/// The group's tickets by code, with their organisations. Looked up by code alone so
/// SQLite uses the unique code index (with the organisation in the WHERE it scans the
/// organisation's whole ticket range instead).
fn tickets_by_code(
    conn: &mut DbConnection,
    batches: &[DeviceBatch],
) -> QueryResult<HashMap<String, (i64, TicketAtGate)>> {
    let codes: Vec<&str> = batches
        .iter()
        .flat_map(|batch| batch.attempts.iter().map(|a| a.ticket_code.as_str()))
        .collect();
    let query = tickets::table
        .select((
            tickets::organization_id,
            tickets::code,
            tickets::id,
            tickets::event_id,
            tickets::status,
            tickets::ticket_type_id,
        ))
        .into_boxed();
    // Each a statement prepared once (a list on SQLite: `by_keys`).
    let rows: Vec<TicketByCode> = match codes.as_slice() {
        [code] => query.filter(tickets::code.eq(*code)).load(conn)?,
        _ if by_keys::lists_as_json(conn) => by_keys::tickets_by_codes(conn, &codes)?,
        _ => query.filter(tickets::code.eq_any(codes)).load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let ticket = TicketAtGate {
                id: row.id,
                event_id: row.event_id,
                status: row.status,
                ticket_type_id: row.ticket_type_id,
            };
            let (code, org) = (row.code, row.organization_id);
            (code, (org, ticket))
        })
        .collect())
}

/// The ticket types each of the group's gates lets in (a gate without rows lets in all).
fn allowed_ticket_types(
    conn: &mut DbConnection,
    batches: &[DeviceBatch],
) -> QueryResult<HashMap<i64, (i64, Vec<i64>)>> {
    let gates = distinct(batches, |batch| batch.device.gate_id);
    let query = gate_ticket_types::table.into_boxed();
    let query = match gates.as_slice() {
        [gate] => query.filter(gate_ticket_types::gate_id.eq(*gate)),
        _ => query.filter(gate_ticket_types::gate_id.eq_any(gates)),
    };
    let rows: Vec<(i64, i64, i64)> = query
        .select((
            gate_ticket_types::organization_id,
            gate_ticket_types::gate_id,
            gate_ticket_types::ticket_type_id,
        ))
        .load(conn)?;
    let mut allowed: HashMap<i64, (i64, Vec<i64>)> = HashMap::new();
    for (org, gate, ticket_type) in rows {
        allowed
            .entry(gate)
            .or_insert_with(|| (org, Vec::new()))
            .1
            .push(ticket_type);
    }
    Ok(allowed)
}

/// The entry policy and time zone of each of the group's events, as they stand now
/// (read with every group, so a change governs the next group on every instance).
fn entry_rules(conn: &mut DbConnection, batches: &[DeviceBatch]) -> QueryResult<HashMap<i64, (i64, EntryRules)>> {
    let ids = distinct(batches, |batch| batch.device.event_id);
    let query = events::table.into_boxed();
    let query = match ids.as_slice() {
        [event] => query.filter(events::id.eq(*event)),
        _ => query.filter(events::id.eq_any(ids)),
    };
    let rows: Vec<(i64, i64, EntryPolicy, TimeZone, ZoneMismatch, bool)> = query
        .select((
            events::organization_id,
            events::id,
            events::entry_policy,
            events::timezone,
            events::zone_mismatch,
            events::has_zones,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(org, id, policy, timezone, mismatch, has_zones)| {
            let zones = has_zones.then_some(mismatch);
            (
                id,
                (
                    org,
                    EntryRules {
                        policy,
                        timezone,
                        zones,
                    },
                ),
            )
        })
        .collect())
}
