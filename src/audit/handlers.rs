//! `GET /audit?action=&user=&from=&to=&older_than=`: the organisation's audit log, for owners.

use actix_web::{web, HttpResponse};
use chrono_tz::Tz;
use serde::Deserialize;

use super::queries::{self, AuditFilter, PAGE_SIZE};
use super::views::{self, AuditPage};
use super::Action;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::forms::{self, parse_day, start_of_day};
use crate::ui::html;

/// The filter form's fields as sent: empty means "all".
#[derive(Deserialize, Default, Clone, Debug)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub user: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub older_than: Option<String>,
}

impl AuditQuery {
    fn filter(&self, tz: &Tz) -> Result<AuditFilter, AppError> {
        let action = forms::given(self.action.as_deref())
            .map(|raw| Action::parse(raw).ok_or_else(|| AppError::bad_request("action is not an audited action")))
            .transpose()?;
        let from = parse_day(self.from.as_deref(), "from")?;
        let to = parse_day(self.to.as_deref(), "to")?;
        if matches!((from, to), (Some(from), Some(to)) if from > to) {
            return Err(AppError::bad_request("The from date is after the to date."));
        }
        Ok(AuditFilter {
            action,
            user_id: forms::optional_id(self.user.as_deref(), "user")?,
            from: from.map(|day| start_of_day(day, tz)).transpose()?,
            before: to
                .and_then(|day| day.succ_opt())
                .map(|day| start_of_day(day, tz))
                .transpose()?,
            older_than: forms::optional_id(self.older_than.as_deref(), "older_than")?,
        })
    }
}

pub async fn show_audit_log(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    user.require_owner()?;
    let (tenant, query) = (user.tenant(), query.into_inner());
    let read = query.clone();
    let (timezone, users, mut lines) = db::run(&state.pool, move |conn| {
        let timezone = crate::events::organization_timezone(conn, &tenant)?;
        let filter = read.filter(&timezone)?;
        let users = queries::organization_users(conn, &tenant)?;
        let lines = queries::list(conn, &tenant, &filter)?;
        Ok((timezone, users, lines))
    })
    .await?;
    let older_than = (lines.len() as i64 > PAGE_SIZE).then(|| {
        lines.truncate(PAGE_SIZE as usize);
        lines.last().map(|l| l.id)
    });
    let page = AuditPage {
        query: &query,
        timezone: &timezone,
        users: &users,
        lines: &lines,
        older_than: older_than.flatten(),
    };
    Ok(html(views::audit_page(&user.viewer(), &page)))
}
