//! The arrivals' queries, scoped by the tenant: valid scans per minute, gate and
//! direction (one grouped query over `scans_org_event_arrivals`, which it reads alone),
//! and per ticket type the valid tickets and how many of them were ever let in.
//! Statements diesel's DSL cannot group this way are SQL with bound values.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::model::{Arrivals, MinuteCount, TypeAdmissions, LOOK_BACK, MINUTE};
use crate::db::schema::{ticket_types, tickets};
use crate::db::{DbConnection, Tenant};
use crate::events::Event;
use crate::orders::TicketStatus;
use crate::scanning::Direction;

/// An event's arrivals at `now`, with `inside` people inside: its valid scans per
/// minute since `LOOK_BACK` before the start, its gates and its ticket types' admissions.
pub fn load_arrivals(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event: &Event,
    now: i64,
    inside: i64,
) -> QueryResult<Arrivals> {
    let (from, until) = (event.starts_at - LOOK_BACK, event.ends_at.max(now) + MINUTE);
    let minutes = minute_counts(conn, tenant, event.id, from, until)?;
    let mut arrivals = Arrivals::new(event, now, minutes);
    arrivals.gates = crate::scanning::event_gates(conn, tenant, event.id)?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    arrivals.ticket_types = type_admissions(conn, tenant, event.id)?;
    arrivals.inside = inside;
    Ok(arrivals)
}

#[derive(QueryableByName)]
struct MinuteRow {
    #[diesel(sql_type = BigInt)]
    gate_id: i64,
    #[diesel(sql_type = Text)]
    direction: Direction,
    #[diesel(sql_type = BigInt)]
    minute: i64,
    #[diesel(sql_type = BigInt)]
    scans: i64,
}

/// Valid scans of the event from `from` to `until` (ms), per minute and gate, oldest first.
fn minute_counts(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    from: i64,
    until: i64,
) -> QueryResult<Vec<MinuteCount>> {
    let sql = format!(
        "SELECT gate_id, direction, scanned_at / {MINUTE} AS minute, COUNT(*) AS scans \
         FROM scans WHERE organization_id = ? AND event_id = ? AND result = 'valid' \
         AND scanned_at >= ? AND scanned_at < ? \
         GROUP BY gate_id, direction, scanned_at / {MINUTE}"
    );
    let rows: Vec<MinuteRow> = load(conn, &sql, &[tenant.organization_id(), event_id, from, until])?;
    let mut counts: Vec<MinuteCount> = Vec::new();
    for row in rows {
        let index = match counts
            .iter()
            .position(|c| c.minute == row.minute && c.gate_id == row.gate_id)
        {
            Some(i) => i,
            None => {
                counts.push(MinuteCount {
                    minute: row.minute,
                    gate_id: row.gate_id,
                    entries: 0,
                    exits: 0,
                });
                counts.len() - 1
            }
        };
        match row.direction {
            Direction::In => counts[index].entries += row.scans,
            Direction::Out => counts[index].exits += row.scans,
        }
    }
    counts.sort_by_key(|c| (c.minute, c.gate_id));
    Ok(counts)
}

#[derive(QueryableByName)]
struct AdmittedRow {
    #[diesel(sql_type = BigInt)]
    ticket_type_id: i64,
    #[diesel(sql_type = BigInt)]
    admitted: i64,
}

/// Per ticket type (by id): its valid tickets and how many of them were never let in.
/// The valid tickets are counted from `tickets_org_event_type`; those let in are the
/// distinct tickets of the event's valid entries (from the arrivals' covering index),
/// each looked up by its key: a cost in proportion to the entries, not the tickets.
fn type_admissions(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<TypeAdmissions>> {
    let org = tenant.organization_id();
    let types: Vec<(i64, String)> = ticket_types::table
        .filter(ticket_types::organization_id.eq(org))
        .filter(ticket_types::event_id.eq(event_id))
        .order(ticket_types::id)
        .select((ticket_types::id, ticket_types::name))
        .load(conn)?;
    let valid: Vec<(i64, i64)> = tickets::table
        .filter(tickets::organization_id.eq(org))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::status.eq(TicketStatus::Valid))
        .group_by(tickets::ticket_type_id)
        .select((tickets::ticket_type_id, diesel::dsl::count_star()))
        .load(conn)?;
    let sql = "SELECT tickets.ticket_type_id AS ticket_type_id, COUNT(*) AS admitted FROM tickets \
               WHERE tickets.id IN (SELECT scans.ticket_id FROM scans WHERE scans.organization_id = ? \
               AND scans.event_id = ? AND scans.result = 'valid' AND scans.direction = 'in') \
               AND tickets.organization_id = ? AND tickets.event_id = ? AND tickets.status = 'valid' \
               GROUP BY tickets.ticket_type_id";
    let admitted: Vec<AdmittedRow> = load(conn, sql, &[org, event_id, org, event_id])?;
    Ok(types
        .into_iter()
        .map(|(id, name)| {
            let valid = valid.iter().find(|(t, _)| *t == id).map_or(0, |(_, n)| *n);
            let admitted = admitted
                .iter()
                .find(|r| r.ticket_type_id == id)
                .map_or(0, |r| r.admitted);
            TypeAdmissions {
                name,
                valid,
                never_admitted: valid - admitted,
            }
        })
        .collect())
}

/// A raw statement with `?` placeholders (numbered `$n` on PostgreSQL) bound to `binds`.
fn load<T>(conn: &mut DbConnection, sql: &str, binds: &[i64]) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    let sql = match conn {
        DbConnection::Postgresql(_) => numbered(sql),
        DbConnection::Sqlite(_) => sql.to_owned(),
    };
    crate::with_backend!(conn, |c| {
        let mut query = diesel::sql_query(sql.clone()).into_boxed();
        for value in binds {
            query = query.bind::<BigInt, _>(*value);
        }
        query.load::<T>(c)
    })
}

/// `?` placeholders as PostgreSQL's `$1`, `$2`, … (the statements hold no other `?`).
fn numbered(sql: &str) -> String {
    let mut n = 0;
    sql.chars()
        .map(|c| match c {
            '?' => {
                n += 1;
                format!("${n}")
            }
            c => c.to_string(),
        })
        .collect()
}
