//! Setting an event's entry policy (from the scan monitor or `voelgoed admin
//! entry-policy`): the change and its audit entry (old → new) commit together, and the
//! next batch of every device, on every instance, is decided under it (the admission
//! reads the policy with each batch).

use diesel::QueryResult;

use crate::audit;
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::events::{self, EntryPolicy};

/// Who changes the policy: a signed-in user, or the command line.
#[derive(Clone, Copy, Debug)]
pub enum ChangedBy {
    User(i64),
    CommandLine,
}

/// Sets one of the tenant's events' policy with its audit entry (none when it does not
/// change); the policy it replaced. Another organisation's event is `NotFound`.
pub fn change_entry_policy(
    conn: &mut DbConnection,
    tenant: &Tenant,
    by: ChangedBy,
    event_id: i64,
    policy: EntryPolicy,
) -> QueryResult<EntryPolicy> {
    db::write_transaction(conn, |conn| {
        let old = events::set_entry_policy(conn, tenant, event_id, policy)?;
        if old != policy {
            let (user_id, from) = match by {
                ChangedBy::User(id) => (Some(id), ""),
                ChangedBy::CommandLine => (None, ", from the command line"),
            };
            let details = format!("{} → {}{from}", old.as_stored(), policy.as_stored());
            let entry = audit::Entry {
                action: audit::Action::EntryPolicyChanged,
                user_id,
                subject: audit::Subject::Event(event_id),
                details: &details,
            };
            audit::record(conn, tenant, &entry, db::now_ms())?;
        }
        Ok(old)
    })
}

/// `voelgoed admin entry-policy`: sets the policy of the event `event_id` (whichever
/// organisation's); what it prints.
pub fn entry_policy_command(pool: &Pool, event_id: i64, policy: &str) -> anyhow::Result<String> {
    let policy: EntryPolicy = policy.parse().map_err(anyhow::Error::msg)?;
    let mut conn = pool.get()?;
    let tenant = events::tenant_of_event(&mut conn, event_id)?;
    let old = change_entry_policy(&mut conn, &tenant, ChangedBy::CommandLine, event_id, policy)?;
    Ok(format!(
        "event {event_id}: entry policy {} (was {})",
        policy.as_stored(),
        old.as_stored()
    ))
}
