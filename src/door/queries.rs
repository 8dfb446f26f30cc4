//! Finding one ticket of an event by its code, and its scans: scoped by the tenant.

use diesel::prelude::*;

use crate::db::schema::{devices, gates, orders, scans, ticket_types, tickets};
use crate::db::{DbConnection, Tenant};
use crate::orders::TicketStatus;
use crate::scanning::ScanLine;

/// Scans shown for one ticket, newest first.
pub const HISTORY_ROWS: i64 = 50;
/// Longer than any ticket code: anything longer is not one.
const MAX_CODE_CHARS: usize = 64;

/// A code as typed or read out: any case, with spaces or dashes between groups. The
/// stored form (upper case, letters and digits), or why it cannot be a code.
pub fn normalise_code(raw: &str) -> Result<String, String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.is_empty() {
        return Err("Type or scan a ticket code.".into());
    }
    if code.chars().count() > MAX_CODE_CHARS || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("A ticket code has only letters and digits.".into());
    }
    Ok(code)
}

/// What the door sees of a ticket: nothing about money or how to reach the buyer.
#[derive(Queryable, Clone, Debug)]
pub struct TicketAtDoor {
    pub id: i64,
    pub code: String,
    pub ticket_type: String,
    pub status: TicketStatus,
    pub holder: String,
    pub inside_since: Option<i64>,
}

/// The event's ticket with this (normalised) code, if there is one.
pub fn find_ticket(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    code: &str,
) -> QueryResult<Option<TicketAtDoor>> {
    tickets::table
        .inner_join(ticket_types::table)
        .inner_join(orders::table)
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::code.eq(code))
        .select((
            tickets::id,
            tickets::code,
            ticket_types::name,
            tickets::status,
            orders::buyer_name,
            tickets::inside_since,
        ))
        .first(conn)
        .optional()
}

/// The ticket's scans at the event, newest first.
pub fn ticket_scans(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    ticket_id: i64,
) -> QueryResult<Vec<ScanLine>> {
    scans::table
        .inner_join(gates::table)
        .inner_join(devices::table)
        .filter(scans::organization_id.eq(tenant.organization_id()))
        .filter(scans::event_id.eq(event_id))
        .filter(scans::ticket_id.eq(ticket_id))
        .order(scans::id.desc())
        .limit(HISTORY_ROWS)
        .select(crate::scanning::SCAN_LINE_COLUMNS)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_read_in_any_case_with_spaces_and_dashes() {
        assert_eq!(normalise_code(" ab12-cd34 ef56 ").unwrap(), "AB12CD34EF56");
    }

    #[test]
    fn what_cannot_be_a_code_says_why() {
        assert!(normalise_code("  - ").is_err());
        assert!(normalise_code("AB'; DROP").is_err());
        assert!(normalise_code(&"A".repeat(65)).is_err());
    }
}
