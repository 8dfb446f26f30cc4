//! Whose rights a bulk job is made, run and read with: a role and its events
//! (`auth/permissions.rs`). A job reaches only orders of its maker's events, checked when
//! it is made and again before each chunk (a maker deactivated or demoted meanwhile
//! stops it); a job's page, stream and CSV are shown only to a user whose role could
//! have started such a job and whose events hold every order it touched. Anything else
//! is `NotFound`, as another organisation's job.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::model::{permission_for, BulkAction, Job, NO_SUCH_ORDER};
use crate::auth::{users, CurrentUser, EventScope, Permission, Role};
use crate::db::schema::{bulk_job_orders, orders};
use crate::db::{DbConnection, Tenant};

/// Why the rest of a job is refused when its maker may no longer do it.
pub const MAKER_MAY_NOT: &str = "its maker may no longer do this";

/// A user's role and events, as a job is made, run or read with.
#[derive(Clone, Debug)]
pub struct Rights {
    pub role: Role,
    pub events: EventScope,
}

impl Rights {
    pub fn of(user: &CurrentUser) -> Self {
        Self {
            role: user.role,
            events: user.events().clone(),
        }
    }

    /// The user's rights as stored now: None when they are deactivated or gone.
    pub fn load(conn: &mut DbConnection, tenant: &Tenant, user_id: i64) -> QueryResult<Option<Self>> {
        let member = match users::find_member(conn, tenant, user_id) {
            Ok(member) => member,
            Err(DieselError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(member.is_active().then(|| Self {
            role: member.role,
            events: EventScope::for_role(member.role, member.events),
        }))
    }

    /// Whether the role may start a job of `action`.
    pub fn may(&self, action: BulkAction) -> bool {
        self.role.may(permission_for(action))
    }

    /// Whether this user's bulk resends count against their per-user resend limit.
    pub fn resends_counted(&self) -> bool {
        !self.role.may(Permission::ResendBeyondUserLimit)
    }
}

/// `NotFound` unless `reader` may see the job: their role could have started it, and
/// every order it touched (not those refused as no such order) is of their events.
pub fn require_readable(conn: &mut DbConnection, tenant: &Tenant, job: &Job, reader: &Rights) -> QueryResult<()> {
    if !reader.may(job.action) {
        return Err(DieselError::NotFound);
    }
    let Some(events) = reader.events.assigned() else {
        return Ok(());
    };
    let touched = bulk_job_orders::table
        .filter(bulk_job_orders::job_id.eq(job.id))
        .filter(
            bulk_job_orders::reason
                .is_null()
                .or(bulk_job_orders::reason.ne(NO_SUCH_ORDER)),
        )
        .select(bulk_job_orders::order_id);
    let elsewhere: bool = diesel::select(diesel::dsl::exists(
        orders::table
            .filter(orders::organization_id.eq(tenant.organization_id()))
            .filter(orders::id.eq_any(touched))
            .filter(orders::event_id.ne_all(events.to_vec())),
    ))
    .get_result(conn)?;
    match elsewhere {
        true => Err(DieselError::NotFound),
        false => Ok(()),
    }
}

/// The tenant's orders among `ids` that `events` reach (all of them for `Every`).
pub fn orders_within(
    conn: &mut DbConnection,
    tenant: &Tenant,
    events: &EventScope,
    ids: &[i64],
) -> QueryResult<Vec<i64>> {
    let mut query = orders::table
        .filter(orders::organization_id.eq(tenant.organization_id()))
        .filter(orders::id.eq_any(ids.to_vec()))
        .select(orders::id)
        .into_boxed();
    if let Some(events) = events.assigned() {
        query = query.filter(orders::event_id.eq_any(events.to_vec()));
    }
    query.load(conn)
}

/// A chunk of pending orders sorted by what the maker may still do with them.
pub struct Screened {
    /// (position, order id) to do the action to.
    pub allowed: Vec<(i64, i64)>,
    /// (position, why) of the orders refused without being read.
    pub refused: Vec<(i64, &'static str)>,
    /// Whether the maker's resends count against their per-user limit.
    pub resends_counted: bool,
}

/// The maker's rights read again for this chunk: all of it refused when they may no
/// longer start such a job; each order not of their events refused as no such order.
pub fn screen(conn: &mut DbConnection, tenant: &Tenant, job: &Job, pending: Vec<(i64, i64)>) -> QueryResult<Screened> {
    let Some(rights) = Rights::load(conn, tenant, job.user_id)?.filter(|r| r.may(job.action)) else {
        return Ok(Screened {
            refused: pending.iter().map(|&(position, _)| (position, MAKER_MAY_NOT)).collect(),
            allowed: Vec::new(),
            resends_counted: true,
        });
    };
    let ids: Vec<i64> = pending.iter().map(|&(_, id)| id).collect();
    let reached: HashSet<i64> = orders_within(conn, tenant, &rights.events, &ids)?.into_iter().collect();
    let (allowed, outside): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(_, id)| reached.contains(id));
    Ok(Screened {
        allowed,
        refused: outside
            .into_iter()
            .map(|(position, _)| (position, NO_SUCH_ORDER))
            .collect(),
        resends_counted: rights.resends_counted(),
    })
}
