//! Kiosk links. A link's token is stored only as its SHA-256; the token is the
//! kiosk's whole credential, so `find_active_link` is how a kiosk learns its tenant.

use diesel::prelude::*;

use crate::db::schema::{events, gates, kiosk_links, user_events, users};
use crate::db::{DbConnection, Tenant};
use crate::with_backend;

/// A link as the owner's list shows it.
#[derive(Queryable, Debug)]
pub struct KioskLink {
    pub id: i64,
    pub gate: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// What an active link opens.
#[derive(Clone, Copy, Debug)]
pub struct ActiveLink {
    pub tenant: Tenant,
    pub link_id: i64,
    pub event_id: i64,
    pub gate_id: Option<i64>,
}

pub fn list_links(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<KioskLink>> {
    kiosk_links::table
        .left_join(gates::table.on(gates::id.nullable().eq(kiosk_links::gate_id)))
        .filter(kiosk_links::organization_id.eq(tenant.organization_id()))
        .filter(kiosk_links::event_id.eq(event_id))
        .order(kiosk_links::id.desc())
        .select((
            kiosk_links::id,
            gates::name.nullable(),
            kiosk_links::created_at,
            kiosk_links::revoked_at,
        ))
        .load(conn)
}

/// Whether the gate is one of the tenant's event's gates.
pub fn gate_of_event(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, gate_id: i64) -> QueryResult<bool> {
    let found: i64 = gates::table
        .filter(gates::organization_id.eq(tenant.organization_id()))
        .filter(gates::event_id.eq(event_id))
        .filter(gates::id.eq(gate_id))
        .count()
        .get_result(conn)?;
    Ok(found == 1)
}

pub struct NewLink<'a> {
    pub event_id: i64,
    pub gate_id: Option<i64>,
    pub token_hash: &'a str,
    pub created_by: i64,
    pub now: i64,
}

pub fn create_link(conn: &mut DbConnection, tenant: &Tenant, link: &NewLink) -> QueryResult<i64> {
    with_backend!(conn, |c| diesel::insert_into(kiosk_links::table)
        .values((
            kiosk_links::organization_id.eq(tenant.organization_id()),
            kiosk_links::event_id.eq(link.event_id),
            kiosk_links::gate_id.eq(link.gate_id),
            kiosk_links::token_hash.eq(link.token_hash),
            kiosk_links::created_by.eq(link.created_by),
            kiosk_links::created_at.eq(link.now),
        ))
        .returning(kiosk_links::id)
        .get_result(c))
}

/// Revokes one of the tenant's links; false when there is no such active link.
pub fn revoke_link(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    link_id: i64,
    now: i64,
) -> QueryResult<bool> {
    let changed = diesel::update(
        kiosk_links::table
            .filter(kiosk_links::organization_id.eq(tenant.organization_id()))
            .filter(kiosk_links::event_id.eq(event_id))
            .filter(kiosk_links::id.eq(link_id))
            .filter(kiosk_links::revoked_at.is_null()),
    )
    .set(kiosk_links::revoked_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}

/// How long after its event ends a link still opens (the teardown, a late look).
const AFTER_THE_EVENT_MS: i64 = 24 * 3_600_000;

/// A link as the usable-link rule reads it: its event's end and its creator's standing.
type LinkRow = (i64, i64, i64, Option<i64>, i64, i64, String, Option<i64>);

/// Whether a link read as `row` still opens at `now`: not revoked, its event ended less
/// than `AFTER_THE_EVENT_MS` ago, and its creator still active and allowed to make it
/// (an owner, or a supervisor of that event). A link never outlives the rights it was
/// made with.
fn usable(conn: &mut DbConnection, row: &LinkRow, now: i64) -> QueryResult<bool> {
    let &(_, _, event_id, _, ends_at, creator, ref role, deactivated_at) = row;
    if ends_at + AFTER_THE_EVENT_MS <= now || deactivated_at.is_some() {
        return Ok(false);
    }
    match crate::auth::Role::parse(role) {
        Some(crate::auth::Role::Owner) => Ok(true),
        Some(crate::auth::Role::Supervisor) => {
            let assigned: i64 = user_events::table
                .filter(user_events::user_id.eq(creator))
                .filter(user_events::event_id.eq(event_id))
                .count()
                .get_result(conn)?;
            Ok(assigned > 0)
        }
        _ => Ok(false),
    }
}

/// The unrevoked link `matching` picks out, with its event's end and its creator.
fn unrevoked_link(
    conn: &mut DbConnection,
    matching: kiosk_links::BoxedQuery<'static, crate::db::MultiBackend>,
) -> QueryResult<Option<LinkRow>> {
    matching
        .inner_join(events::table)
        .inner_join(users::table.on(users::id.eq(kiosk_links::created_by)))
        .filter(kiosk_links::revoked_at.is_null())
        .select((
            kiosk_links::organization_id,
            kiosk_links::id,
            kiosk_links::event_id,
            kiosk_links::gate_id,
            events::ends_at,
            kiosk_links::created_by,
            users::role,
            users::deactivated_at,
        ))
        .first(conn)
        .optional()
}

/// Whether one of the tenant's links still opens (see `usable`).
pub fn is_usable(conn: &mut DbConnection, tenant: &Tenant, link_id: i64) -> QueryResult<bool> {
    let matching = kiosk_links::table
        .filter(kiosk_links::organization_id.eq(tenant.organization_id()))
        .filter(kiosk_links::id.eq(link_id))
        .into_boxed();
    match unrevoked_link(conn, matching)? {
        Some(row) => usable(conn, &row, crate::db::now_ms()),
        None => Ok(false),
    }
}

/// The link a kiosk's token opens, while it is usable.
pub fn find_active_link(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<ActiveLink>> {
    let matching = kiosk_links::table
        .filter(kiosk_links::token_hash.eq(token_hash.to_owned()))
        .into_boxed();
    let Some(row) = unrevoked_link(conn, matching)? else {
        return Ok(None);
    };
    if !usable(conn, &row, crate::db::now_ms())? {
        return Ok(None);
    }
    let (org, link_id, event_id, gate_id, ..) = row;
    Ok(Some(ActiveLink {
        tenant: Tenant::authenticated(org),
        link_id,
        event_id,
        gate_id,
    }))
}
