//! The bulk form as it arrives (`POST /orders/jobs`), parsed into what to do and to
//! which orders, then resolved against the tenant's orders into a `NewJob`. Anything
//! malformed is a 400 naming the field, before anything is written.

use super::model::{BulkAction, NewJob, RefundNote, MAX_JOB_KEY_CHARS, MAX_JOB_ORDERS, MAX_SELECTED_IDS};
use super::scope::Rights;
use crate::auth::CurrentUser;
use crate::db::{DbConnection, Tenant};
use crate::error::AppError;
use crate::orders::list::{matching_ids, of_users_events, organization_timezone, FilterQuery};
use crate::orders::order::{parse_note, parse_reason, RESENDS_PER_USER};

/// Form fields as pairs: the rows' checkboxes repeat `order`.
pub type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Which orders the form names.
#[derive(Clone, Debug)]
pub enum Selection {
    /// The checked rows (order ids as the form sent them).
    Orders(Vec<i64>),
    /// Every order matching the list's filter.
    Matching(FilterQuery),
}

/// A bulk action as asked for, not yet resolved against the orders.
#[derive(Clone, Debug)]
pub struct JobRequest {
    pub job_key: String,
    pub action: BulkAction,
    pub selection: Selection,
    pub refund: Option<RefundNote>,
}

/// Parses the form: `job_key`, `action`, `scope` (`selected` with `order=ID`…, or
/// `filter` with the list's `q`, `status`, `event`, `from`, `to`).
pub fn job_request(fields: &Fields) -> Result<JobRequest, AppError> {
    let job_key = match field(fields, "job_key").map(str::trim) {
        Some(key) if !key.is_empty() && key.chars().count() <= MAX_JOB_KEY_CHARS => key.to_owned(),
        _ => {
            return Err(AppError::bad_request(
                "The bulk form has no valid job key: reload the order list.",
            ))
        }
    };
    let action = field(fields, "action")
        .and_then(BulkAction::parse)
        .ok_or_else(|| AppError::bad_request("action must be resend, refund or export"))?;
    let selection = match field(fields, "scope") {
        Some("selected") | None => Selection::Orders(order_ids(fields)?),
        Some("filter") => Selection::Matching(filter_query(fields)),
        Some(_) => return Err(AppError::bad_request("scope must be selected or filter")),
    };
    let refund = match action {
        BulkAction::Refund => Some(refund_note(fields)?),
        _ => None,
    };
    Ok(JobRequest {
        job_key,
        action,
        selection,
        refund,
    })
}

fn order_ids(fields: &Fields) -> Result<Vec<i64>, AppError> {
    let raw: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "order")
        .map(|(_, v)| v.trim())
        .collect();
    if raw.is_empty() {
        return Err(AppError::bad_request(
            "Choose at least one order (or all orders matching the filter).",
        ));
    }
    if raw.len() > MAX_SELECTED_IDS {
        return Err(AppError::bad_request(format!(
            "At most {MAX_SELECTED_IDS} orders can be chosen one by one: choose all orders matching the filter instead."
        )));
    }
    let mut ids = raw
        .iter()
        .map(|v| v.parse::<i64>().ok().filter(|id| *id > 0))
        .collect::<Option<Vec<i64>>>()
        .ok_or_else(|| AppError::bad_request("order must be an order id"))?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

fn filter_query(fields: &Fields) -> FilterQuery {
    let value = |name| field(fields, name).map(str::to_owned);
    FilterQuery {
        q: value("q"),
        status: value("status"),
        event: value("event"),
        from: value("from"),
        to: value("to"),
        after: None,
        whole_addresses_only: false,
    }
}

/// The refund form's own reason and note rules.
fn refund_note(fields: &Fields) -> Result<RefundNote, AppError> {
    Ok(RefundNote {
        reason: parse_reason(fields)?,
        note: parse_note(fields)?,
    })
}

impl JobRequest {
    /// The request kept to the user's events: a filter reads as their order list reads
    /// it (one of their events, the first when none is named; another event is 404, as
    /// another organisation's). Named orders are kept to them when the job is made.
    pub fn kept_to(self, user: &CurrentUser) -> Result<Self, AppError> {
        let selection = match self.selection {
            Selection::Matching(query) => Selection::Matching(of_users_events(query, user)?),
            named => named,
        };
        Ok(Self { selection, ..self })
    }

    /// The job for `user_id` with `rights`: the selection's ids, or the filter's
    /// matches (refused when there are none, or more than a job takes, or for a resend
    /// more than the maker's resend limit when their resends count against it).
    pub fn resolve(
        self,
        conn: &mut DbConnection,
        tenant: &Tenant,
        user_id: i64,
        rights: Rights,
    ) -> Result<NewJob, AppError> {
        let order_ids = match self.selection {
            Selection::Orders(ids) => ids,
            Selection::Matching(query) => {
                let timezone = organization_timezone(conn, tenant)?;
                let filter = query.filter(&timezone)?;
                let mut ids = matching_ids(conn, tenant, &filter, MAX_JOB_ORDERS + 1)?;
                if ids.is_empty() {
                    return Err(AppError::bad_request("No orders match this filter."));
                }
                if ids.len() as i64 > MAX_JOB_ORDERS {
                    return Err(AppError::bad_request(format!(
                        "More than {MAX_JOB_ORDERS} orders match this filter: narrow it down."
                    )));
                }
                ids.sort_unstable();
                ids
            }
        };
        if self.action == BulkAction::Resend && rights.resends_counted() && order_ids.len() as i64 > RESENDS_PER_USER {
            return Err(AppError::bad_request(format!(
                "Your role may resend at most {RESENDS_PER_USER} confirmations per 10 minutes, in bulk too: \
                 choose at most {RESENDS_PER_USER} orders."
            )));
        }
        Ok(NewJob {
            user_id,
            events: rights.events,
            job_key: self.job_key,
            action: self.action,
            refund: self.refund,
            order_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn garbage_ids_no_selection_and_unknown_actions_are_refused() {
        let base = [("job_key", "k"), ("action", "resend")];
        assert!(job_request(&form(&base)).is_err());
        assert!(job_request(&form(&[("job_key", "k"), ("action", "delete"), ("order", "1")])).is_err());
        assert!(job_request(&form(&[base[0], base[1], ("order", "x1")])).is_err());
        assert!(job_request(&form(&[base[0], base[1], ("order", "-4")])).is_err());
        let ok = job_request(&form(&[
            base[0],
            base[1],
            ("order", "9"),
            ("order", "3"),
            ("order", "9"),
        ]))
        .unwrap();
        assert!(matches!(ok.selection, Selection::Orders(ids) if ids == [3, 9]));
    }
}
