//! Setting up organisations: the checked operations behind the `voelgoed admin …`
//! commands (each returns what the command prints; device changes are audited) and the
//! inserts they share with the demo and bulk seeds and the tests (organisations, users,
//! events, ticket types, gates, devices).

pub mod bulk;

mod revocation;
/// Gates are the gate engine's; kept here too, where devices are made.
pub use crate::scanning::find_or_create_gate;
pub use revocation::{revoke_active_device, revoke_device, Revocation};

use diesel::prelude::*;

use crate::audit::{self, Action, Entry, Subject};
use crate::auth::{hash_password, random_token, token_hash, Role};
use crate::db::schema::{devices, events, organizations, ticket_types};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::events::tenant_of_event;
use crate::with_backend;

pub fn create_organization(conn: &mut DbConnection, name: &str, timezone: &str) -> QueryResult<Tenant> {
    let id: i64 = with_backend!(conn, |c| diesel::insert_into(organizations::table)
        .values((
            organizations::name.eq(name),
            organizations::timezone.eq(timezone),
            organizations::created_at.eq(db::now_ms()),
        ))
        .returning(organizations::id)
        .get_result(c))?;
    Ok(Tenant::authenticated(id))
}

pub fn create_user_with_hash(
    conn: &mut DbConnection,
    tenant: &Tenant,
    email: &str,
    name: &str,
    password_hash: &str,
    role: Role,
) -> QueryResult<i64> {
    crate::auth::users::insert_user(conn, tenant, email, name, password_hash, role.as_str())
}

/// Assigns events to a user (replacing theirs): false when one is not the tenant's.
pub fn assign_events(conn: &mut DbConnection, tenant: &Tenant, user_id: i64, events: &[i64]) -> QueryResult<bool> {
    crate::auth::users::set_user_events(conn, tenant, user_id, events)
}

pub struct NewEvent<'a> {
    pub name: &'a str,
    pub venue: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub timezone: &'a str,
    pub capacity: i64,
    pub currency: &'a str,
    pub sales_open_at: i64,
}

pub fn create_event(conn: &mut DbConnection, tenant: &Tenant, event: &NewEvent) -> QueryResult<i64> {
    with_backend!(conn, |c| diesel::insert_into(events::table)
        .values((
            events::organization_id.eq(tenant.organization_id()),
            events::name.eq(event.name),
            events::venue.eq(event.venue),
            events::starts_at.eq(event.starts_at),
            events::ends_at.eq(event.ends_at),
            events::timezone.eq(event.timezone),
            events::capacity.eq(event.capacity),
            events::currency.eq(event.currency),
            events::sales_open_at.eq(event.sales_open_at),
            events::created_at.eq(db::now_ms()),
        ))
        .returning(events::id)
        .get_result(c))
}

pub fn create_ticket_type(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    name: &str,
    price: i64,
    capacity: i64,
) -> QueryResult<i64> {
    with_backend!(conn, |c| diesel::insert_into(ticket_types::table)
        .values((
            ticket_types::organization_id.eq(tenant.organization_id()),
            ticket_types::event_id.eq(event_id),
            ticket_types::name.eq(name),
            ticket_types::price.eq(price),
            ticket_types::capacity.eq(capacity),
        ))
        .returning(ticket_types::id)
        .get_result(c))
}

/// A new scanning device at a gate; returns its id and its token (shown once, stored
/// only as a hash).
pub fn create_device(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    gate_id: i64,
    name: &str,
) -> QueryResult<(i64, String)> {
    let token = random_token();
    let id = with_backend!(conn, |c| diesel::insert_into(devices::table)
        .values((
            devices::organization_id.eq(tenant.organization_id()),
            devices::event_id.eq(event_id),
            devices::gate_id.eq(gate_id),
            devices::name.eq(name),
            devices::token_hash.eq(token_hash(&token)),
            devices::created_at.eq(db::now_ms()),
        ))
        .returning(devices::id)
        .get_result(c))?;
    Ok((id, token))
}

// ---- The `voelgoed admin …` commands: each returns what it prints. ----

pub fn create_org(pool: &Pool, name: &str, timezone: &str) -> anyhow::Result<String> {
    anyhow::ensure!(!name.trim().is_empty(), "the organisation needs a name");
    printable(name, "the organisation's name")?;
    let timezone = crate::events::TimeZone::parse(timezone).map_err(anyhow::Error::msg)?;
    let tenant = create_organization(&mut *pool.get()?, name.trim(), timezone.name())?;
    Ok(tenant.organization_id().to_string())
}

pub fn create_user(
    pool: &Pool,
    org: i64,
    email: &str,
    name: &str,
    password: &str,
    role: &str,
    events: &[i64],
) -> anyhow::Result<String> {
    let role =
        Role::parse(role).ok_or_else(|| anyhow::anyhow!("role must be owner, finance, supervisor or steward"))?;
    anyhow::ensure!(
        events.is_empty() || !role.sees_every_event(),
        "only supervisors and stewards have --event"
    );
    anyhow::ensure!(email.contains('@'), "'{email}' is not an email address");
    printable(email, "the e-mail address")?;
    printable(name, "the name")?;
    anyhow::ensure!(password.len() >= 8, "the password must have at least 8 characters");
    let mut conn = pool.get()?;
    let exists: i64 = organizations::table
        .filter(organizations::id.eq(org))
        .count()
        .get_result(&mut *conn)?;
    anyhow::ensure!(exists == 1, "there is no organisation {org}");
    let tenant = Tenant::authenticated(org);
    let hash = hash_password(password)?;
    let new = crate::auth::users::NewUser {
        email,
        name,
        password_hash: &hash,
        role,
        events,
    };
    let id = crate::auth::users::create_user(&mut conn, &tenant, &new)?
        .ok_or_else(|| anyhow::anyhow!("an --event is not an event of organisation {org}"))?;
    Ok(id.to_string())
}

pub fn create_device_command(pool: &Pool, event_id: i64, gate: &str, name: Option<&str>) -> anyhow::Result<String> {
    anyhow::ensure!(!gate.trim().is_empty(), "the gate needs a name");
    printable(gate, "the gate's name")?;
    printable(name.unwrap_or_default(), "the device's name")?;
    let mut conn = pool.get()?;
    let tenant = tenant_of_event(&mut conn, event_id)?;
    // A write transaction from the start: it also writes the audit entry, and SQLite
    // cannot upgrade a reading transaction while another connection writes.
    let (_, token) = crate::db::write_transaction(&mut conn, |conn| {
        let gate_id = find_or_create_gate(conn, &tenant, event_id, gate.trim())?;
        let default_name = format!("{} scanner", gate.trim());
        let (device_id, token) = create_device(conn, &tenant, event_id, gate_id, name.unwrap_or(&default_name))?;
        let details = format!("event {event_id}, gate {}, from the command line", gate.trim());
        audit_device(conn, &tenant, Action::DeviceCreated, device_id, &details)?;
        Ok::<_, diesel::result::Error>((device_id, token))
    })?;
    Ok(token)
}

/// Limits which ticket types a gate admits (none listed: every type); prints the list.
pub fn set_gate_ticket_types(pool: &Pool, event_id: i64, gate: &str, ticket_types: &[i64]) -> anyhow::Result<String> {
    use crate::db::schema::gate_ticket_types as allowed;
    let mut conn = pool.get()?;
    let tenant = tenant_of_event(&mut conn, event_id)?;
    let known: Vec<i64> = ticket_types::table
        .filter(ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(ticket_types::event_id.eq(event_id))
        .select(ticket_types::id)
        .load(&mut *conn)?;
    if let Some(unknown) = ticket_types.iter().find(|t| !known.contains(t)) {
        anyhow::bail!("ticket type {unknown} is not one of event {event_id}'s ticket types");
    }
    crate::db::write_transaction(&mut conn, |conn| {
        let gate_id = find_or_create_gate(conn, &tenant, event_id, gate.trim())?;
        diesel::delete(allowed::table.filter(allowed::gate_id.eq(gate_id))).execute(conn)?;
        for ticket_type_id in ticket_types {
            diesel::insert_into(allowed::table)
                .values((
                    allowed::organization_id.eq(tenant.organization_id()),
                    allowed::gate_id.eq(gate_id),
                    allowed::ticket_type_id.eq(ticket_type_id),
                ))
                .execute(conn)?;
        }
        Ok(())
    })?;
    Ok(match ticket_types {
        [] => format!("gate {gate} admits every ticket type"),
        types => format!("gate {gate} admits ticket types {types:?}"),
    })
}

/// Devices are created and revoked from the command line: no user acted.
fn audit_device(
    conn: &mut DbConnection,
    tenant: &Tenant,
    action: Action,
    device_id: i64,
    details: &str,
) -> diesel::QueryResult<()> {
    let entry = Entry {
        action,
        user_id: None,
        subject: Subject::Device(device_id),
        details,
    };
    audit::record(conn, tenant, &entry, crate::db::now_ms())
}

/// Names and addresses never hold control characters (see `forms::printable`).
fn printable(text: &str, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !text.chars().any(char::is_control),
        "{what} must not contain control characters"
    );
    Ok(())
}
