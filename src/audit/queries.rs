//! Writing audit entries and reading an organisation's, newest first.

use diesel::prelude::*;

use super::{Action, Subject};
use crate::db::schema::{audit_log, users};
use crate::db::{DbConnection, Tenant};

/// One thing done: by whom (None: the system or the command line), to what, with what.
pub struct Entry<'a> {
    pub action: Action,
    pub user_id: Option<i64>,
    pub subject: Subject,
    pub details: &'a str,
}

pub fn record(conn: &mut DbConnection, tenant: &Tenant, entry: &Entry, at: i64) -> QueryResult<()> {
    let (subject_type, subject_id) = entry.subject.parts();
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::organization_id.eq(tenant.organization_id()),
            audit_log::user_id.eq(entry.user_id),
            audit_log::action.eq(entry.action.as_str()),
            audit_log::subject_type.eq(subject_type),
            audit_log::subject_id.eq(subject_id),
            audit_log::details.eq(entry.details),
            audit_log::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Which entries the audit page shows.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub action: Option<Action>,
    pub user_id: Option<i64>,
    /// Unix ms, included.
    pub from: Option<i64>,
    /// Unix ms, excluded.
    pub before: Option<i64>,
    /// Entries older than this id (the next page).
    pub older_than: Option<i64>,
}

pub struct AuditLine {
    pub id: i64,
    pub created_at: i64,
    pub action: String,
    pub by: Option<String>,
    pub subject_type: String,
    pub subject_id: i64,
    pub details: String,
}

pub const PAGE_SIZE: i64 = 100;

/// Up to `PAGE_SIZE + 1` entries (the extra one says there is a next page).
pub fn list(conn: &mut DbConnection, tenant: &Tenant, filter: &AuditFilter) -> QueryResult<Vec<AuditLine>> {
    let mut query = audit_log::table
        .left_join(users::table)
        .filter(audit_log::organization_id.eq(tenant.organization_id()))
        .into_boxed();
    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action.as_str()));
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(audit_log::user_id.eq(user_id));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::created_at.ge(from));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_log::created_at.lt(before));
    }
    if let Some(id) = filter.older_than {
        query = query.filter(audit_log::id.lt(id));
    }
    query
        .order(audit_log::id.desc())
        .limit(PAGE_SIZE + 1)
        .select((
            audit_log::id,
            audit_log::created_at,
            audit_log::action,
            users::name.nullable(),
            audit_log::subject_type,
            audit_log::subject_id,
            audit_log::details,
        ))
        .load::<(i64, i64, String, Option<String>, String, i64, String)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(
                    |(id, created_at, action, by, subject_type, subject_id, details)| AuditLine {
                        id,
                        created_at,
                        action,
                        by,
                        subject_type,
                        subject_id,
                        details,
                    },
                )
                .collect()
        })
}

/// A user of the organisation, as the log's user filter lists them.
#[derive(Queryable, Clone, Debug)]
pub struct AuditUser {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// The organisation's users, by name, for the user filter.
pub fn organization_users(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<Vec<AuditUser>> {
    users::table
        .filter(users::organization_id.eq(tenant.organization_id()))
        .order(users::name.asc())
        .select((users::id, users::name, users::email))
        .load(conn)
}

/// How many times the user did `action` since `since` (unix ms), for per-user limits.
pub fn count_by_user_since(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user_id: i64,
    action: Action,
    since: i64,
) -> QueryResult<i64> {
    audit_log::table
        .filter(audit_log::organization_id.eq(tenant.organization_id()))
        .filter(audit_log::user_id.eq(user_id))
        .filter(audit_log::action.eq(action.as_str()))
        .filter(audit_log::created_at.ge(since))
        .count()
        .get_result(conn)
}
