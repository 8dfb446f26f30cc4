//! Kiosk links. A link's token is stored only as its SHA-256; the token is the
//! kiosk's whole credential, so `find_active_link` is how a kiosk learns its tenant.

use diesel::prelude::*;

use crate::db::schema::{gates, kiosk_links};
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

/// Whether one of the tenant's links has been revoked.
pub fn is_revoked(conn: &mut DbConnection, tenant: &Tenant, link_id: i64) -> QueryResult<bool> {
    let revoked: i64 = kiosk_links::table
        .filter(kiosk_links::organization_id.eq(tenant.organization_id()))
        .filter(kiosk_links::id.eq(link_id))
        .filter(kiosk_links::revoked_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(revoked > 0)
}

pub fn find_active_link(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<ActiveLink>> {
    let row: Option<(i64, i64, i64, Option<i64>)> = kiosk_links::table
        .filter(kiosk_links::token_hash.eq(token_hash))
        .filter(kiosk_links::revoked_at.is_null())
        .select((
            kiosk_links::organization_id,
            kiosk_links::id,
            kiosk_links::event_id,
            kiosk_links::gate_id,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(org, link_id, event_id, gate_id)| ActiveLink {
        tenant: Tenant::authenticated(org),
        link_id,
        event_id,
        gate_id,
    }))
}
