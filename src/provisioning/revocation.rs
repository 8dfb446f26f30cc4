//! Revoking a scanning device: from the command line (any of the organisation's) or
//! from the scan monitor (one of the event's), one update and one audit entry alike.

use diesel::prelude::*;

use crate::audit::{self, Action, Entry, Subject};
use crate::db::schema::devices;
use crate::db::{DbConnection, Pool, Tenant};

/// Revokes a scanning device: its token is refused from now on (within the 2 s a proven
/// token is remembered by a running server).
pub fn revoke_device(pool: &Pool, device_id: i64) -> anyhow::Result<String> {
    let mut conn = pool.get()?;
    let revoked = crate::db::write_transaction(&mut conn, |conn| {
        let Some(organization_id) = devices::table
            .filter(devices::id.eq(device_id))
            .select(devices::organization_id)
            .first::<i64>(conn)
            .optional()?
        else {
            return Ok(false);
        };
        let revoke = Revocation {
            device_id,
            event_id: None,
            by: None,
            details: "from the command line",
        };
        revoke_active_device(conn, &Tenant::authenticated(organization_id), &revoke)
    })?;
    anyhow::ensure!(revoked, "there is no active device {device_id}");
    Ok(format!("device {device_id} revoked"))
}

/// Which device to revoke, within which event (None: any of the tenant's), by whom.
pub struct Revocation<'a> {
    pub device_id: i64,
    pub event_id: Option<i64>,
    pub by: Option<i64>,
    pub details: &'a str,
}

/// Revokes one of the tenant's active devices with its audit entry, in the caller's
/// transaction; false when there is no such active device (the command line's and
/// the monitor's revocations alike).
pub fn revoke_active_device(conn: &mut DbConnection, tenant: &Tenant, revoke: &Revocation) -> QueryResult<bool> {
    let mut update = diesel::update(devices::table)
        .filter(devices::organization_id.eq(tenant.organization_id()))
        .filter(devices::id.eq(revoke.device_id))
        .filter(devices::revoked_at.is_null())
        .into_boxed();
    if let Some(event_id) = revoke.event_id {
        update = update.filter(devices::event_id.eq(event_id));
    }
    let now = crate::db::now_ms();
    if update.set(devices::revoked_at.eq(now)).execute(conn)? != 1 {
        return Ok(false);
    }
    let entry = Entry {
        action: Action::DeviceRevoked,
        user_id: revoke.by,
        subject: Subject::Device(revoke.device_id),
        details: revoke.details,
    };
    audit::record(conn, tenant, &entry, now)?;
    Ok(true)
}
