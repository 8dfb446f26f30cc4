//! `GET /audit?action=&user=&from=&to=&older_than=`: the organisation's audit log, for owners.

use actix_web::{web, HttpResponse};

use super::filter::AuditQuery;
use super::queries::{self, PAGE_SIZE};
use super::views::{self, AuditPage};
use crate::auth::{CurrentUser, Permission};
use crate::db::{Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::TimeZone;
use crate::ui::html;

pub async fn show_audit_log(
    pool: web::Data<Pool>,
    user: CurrentUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::ViewAudit)?;
    let query = query.into_inner();
    let log = read_log(&pool, user.tenant(), query.clone()).await?;
    let page = AuditPage {
        query: &query,
        timezone: &log.timezone,
        users: &log.users,
        lines: &log.lines,
        older_than: log.older_than,
    };
    Ok(html(views::audit_page(&user.viewer(), &page)))
}

/// One page of the log as the filter asks, newest first, in the organisation's zone.
struct LogPage {
    timezone: TimeZone,
    users: Vec<queries::AuditUser>,
    lines: Vec<queries::AuditLine>,
    /// Where the next page starts, when there is one.
    older_than: Option<i64>,
}

async fn read_log(pool: &Pool, tenant: Tenant, query: AuditQuery) -> Result<LogPage, AppError> {
    let (timezone, users, mut lines) = with_db(pool, move |conn| {
        let timezone = crate::events::organization_timezone(conn, &tenant)?;
        let filter = query.filter(&timezone)?;
        let users = queries::organization_users(conn, &tenant)?;
        let lines = queries::list(conn, &tenant, &filter)?;
        Ok((timezone, users, lines))
    })
    .await?;
    let older_than = (lines.len() as i64 > PAGE_SIZE).then(|| {
        lines.truncate(PAGE_SIZE as usize);
        lines.last().map(|l| l.id)
    });
    Ok(LogPage {
        timezone,
        users,
        lines,
        older_than: older_than.flatten(),
    })
}
