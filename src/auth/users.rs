//! Users of an organisation and the events assigned to them: what the team page, the
//! admin commands and the seeds write. Every query is scoped by the tenant.

use diesel::prelude::*;

use crate::db::schema::{user_events, users};
use crate::db::{DbConnection, Tenant};
use crate::with_backend;

/// A new user of the tenant's organisation: its id.
pub fn insert_user(
    conn: &mut DbConnection,
    tenant: &Tenant,
    email: &str,
    name: &str,
    password_hash: &str,
    role: &str,
) -> QueryResult<i64> {
    with_backend!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::organization_id.eq(tenant.organization_id()),
            users::email.eq(email.trim().to_lowercase()),
            users::name.eq(name),
            users::password_hash.eq(password_hash),
            users::role.eq(role),
            users::created_at.eq(crate::db::now_ms()),
        ))
        .returning(users::id)
        .get_result(c))
}

/// Replaces the events assigned to a user of the tenant's: false (and nothing changed)
/// when one of them is not an event of the organisation. Run it in a transaction.
pub fn set_user_events(conn: &mut DbConnection, tenant: &Tenant, user_id: i64, event_ids: &[i64]) -> QueryResult<bool> {
    use crate::db::schema::events;
    let org = tenant.organization_id();
    let mut wanted = event_ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let known: i64 = events::table
        .filter(events::organization_id.eq(org))
        .filter(events::id.eq_any(&wanted))
        .count()
        .get_result(conn)?;
    if usize::try_from(known).ok() != Some(wanted.len()) {
        return Ok(false);
    }
    diesel::delete(
        user_events::table
            .filter(user_events::organization_id.eq(org))
            .filter(user_events::user_id.eq(user_id)),
    )
    .execute(conn)?;
    for event_id in wanted {
        diesel::insert_into(user_events::table)
            .values((
                user_events::organization_id.eq(org),
                user_events::user_id.eq(user_id),
                user_events::event_id.eq(event_id),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// Who a new user is.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: super::Role,
    /// Their events (supervisors and stewards).
    pub events: &'a [i64],
}

/// Creates the user with their events in one transaction: None (and nothing created)
/// when an event is not the tenant's.
pub fn create_user(conn: &mut DbConnection, tenant: &Tenant, new: &NewUser) -> QueryResult<Option<i64>> {
    let created = crate::db::write_transaction(conn, |conn| {
        let id = insert_user(conn, tenant, new.email, new.name, new.password_hash, new.role.as_str())?;
        match set_user_events(conn, tenant, id, new.events)? {
            true => Ok(id),
            false => Err(diesel::result::Error::RollbackTransaction),
        }
    });
    match created {
        Ok(id) => Ok(Some(id)),
        Err(diesel::result::Error::RollbackTransaction) => Ok(None),
        Err(other) => Err(other),
    }
}

/// A user of the organisation as the team page lists them.
#[derive(Clone, Debug)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: super::Role,
    pub deactivated_at: Option<i64>,
    /// Assigned events (supervisors and stewards).
    pub events: Vec<i64>,
}

impl Member {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

type MemberRow = (i64, String, String, String, Option<i64>);

/// The organisation's users, by name, with their events: two queries.
pub fn list_members(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<Vec<Member>> {
    let org = tenant.organization_id();
    let rows: Vec<MemberRow> = users::table
        .filter(users::organization_id.eq(org))
        .order((users::name, users::id))
        .select((users::id, users::name, users::email, users::role, users::deactivated_at))
        .load(conn)?;
    let assigned: Vec<(i64, i64)> = user_events::table
        .filter(user_events::organization_id.eq(org))
        .select((user_events::user_id, user_events::event_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let events = assigned.iter().filter(|(u, _)| *u == row.0).map(|(_, e)| *e).collect();
            member(row, events)
        })
        .collect())
}

/// A stored user with their events; `None` for a role this build does not know.
fn member((id, name, email, role, deactivated_at): MemberRow, events: Vec<i64>) -> Option<Member> {
    Some(Member {
        id,
        name,
        email,
        role: super::Role::parse(&role)?,
        deactivated_at,
        events,
    })
}

/// One user of the tenant's: `NotFound` for another organisation's, as for none.
pub fn find_member(conn: &mut DbConnection, tenant: &Tenant, user_id: i64) -> QueryResult<Member> {
    let row: MemberRow = users::table
        .filter(users::organization_id.eq(tenant.organization_id()))
        .filter(users::id.eq(user_id))
        .select((users::id, users::name, users::email, users::role, users::deactivated_at))
        .first(conn)?;
    let events = user_events::table
        .filter(user_events::organization_id.eq(tenant.organization_id()))
        .filter(user_events::user_id.eq(user_id))
        .select(user_events::event_id)
        .load(conn)?;
    member(row, events).ok_or(diesel::result::Error::NotFound)
}

/// Active owners of the organisation.
pub fn active_owners(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<i64> {
    users::table
        .filter(users::organization_id.eq(tenant.organization_id()))
        .filter(users::role.eq(super::Role::Owner.as_str()))
        .filter(users::deactivated_at.is_null())
        .count()
        .get_result(conn)
}

pub fn set_role(conn: &mut DbConnection, tenant: &Tenant, user_id: i64, role: super::Role) -> QueryResult<()> {
    diesel::update(of_tenant(tenant, user_id))
        .set(users::role.eq(role.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Deactivates (Some: when) or reactivates (None) the user.
pub fn set_deactivated(conn: &mut DbConnection, tenant: &Tenant, user_id: i64, at: Option<i64>) -> QueryResult<()> {
    diesel::update(of_tenant(tenant, user_id))
        .set(users::deactivated_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn set_password_hash(conn: &mut DbConnection, tenant: &Tenant, user_id: i64, hash: &str) -> QueryResult<()> {
    diesel::update(of_tenant(tenant, user_id))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

/// The tenant's user `user_id`, as a target for updates.
fn of_tenant(
    tenant: &Tenant,
    user_id: i64,
) -> diesel::dsl::Filter<
    diesel::dsl::Filter<users::table, diesel::dsl::Eq<users::organization_id, i64>>,
    diesel::dsl::Eq<users::id, i64>,
> {
    users::table
        .filter(users::organization_id.eq(tenant.organization_id()))
        .filter(users::id.eq(user_id))
}
