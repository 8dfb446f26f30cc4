//! The audit log's filter form: its fields as sent, and the filter they ask for,
//! refused with a 400 when a field is not what it should be.

use chrono_tz::Tz;
use serde::Deserialize;

use super::queries::AuditFilter;
use super::Action;
use crate::error::AppError;
use crate::forms::{self, parse_day, start_of_day};

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
    pub fn filter(&self, tz: &Tz) -> Result<AuditFilter, AppError> {
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
