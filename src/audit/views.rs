//! The audit page: a plain GET filter form and the entries, newest first.

use chrono_tz::Tz;
use maud::{html, Markup};

use super::filter::AuditQuery;
use super::queries::{AuditLine, AuditUser};
use super::{Action, Subject};
use crate::paths;
use crate::ui::components::local_time;
use crate::ui::layout::{self, Viewer};

const TIME_FORMAT: &str = "%d %b %Y %H:%M:%S";

pub struct AuditPage<'a> {
    pub query: &'a AuditQuery,
    pub timezone: &'a Tz,
    pub users: &'a [AuditUser],
    pub lines: &'a [AuditLine],
    /// The id to pass as `older_than` for the next page, when there is one.
    pub older_than: Option<i64>,
}

pub fn audit_page(viewer: &Viewer, page: &AuditPage) -> Markup {
    layout::page(
        "Audit log",
        Some(viewer),
        html! {
            h1 { "Audit log" }
            (filter_form(page))
            @if page.lines.is_empty() { p.muted { "No entries match." } }
            @else {
                div.table-scroll role="region" aria-label="Audit log" tabindex="0" {
                    table.audit-log {
                        thead { tr { th { "When" } th { "Who" } th { "Action" } th { "About" } th { "Details" } } }
                        tbody { @for line in page.lines { (audit_row(line, page.timezone)) } }
                    }
                }
            }
            @if let Some(id) = page.older_than {
                p { a href=(older_link(page.query, id)) { "Older entries" } }
            }
        },
    )
}

fn filter_form(page: &AuditPage) -> Markup {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let (action, user) = (value(&page.query.action), value(&page.query.user));
    html! {
        form.filters id="audit-filter" method="get" action=(paths::AUDIT_LOG) {
            label { "Action"
                select name="action" {
                    option value="" { "All actions" }
                    @for a in Action::ALL { option value=(a.as_str()) selected[action == a.as_str()] { (a.label()) } }
                }
            }
            label { "User"
                select name="user" {
                    option value="" { "Everyone" }
                    @for AuditUser { id, name, email } in page.users {
                        option value=(id) selected[user == id.to_string()] { (name) " (" (email) ")" }
                    }
                }
            }
            label { "From" input type="date" name="from" value=(value(&page.query.from)); }
            label { "To" input type="date" name="to" value=(value(&page.query.to)); }
            button type="submit" { "Filter" }
        }
    }
}

fn audit_row(line: &AuditLine, timezone: &Tz) -> Markup {
    let label = Action::parse(&line.action).map_or(line.action.as_str(), |a| a.label());
    html! {
        tr data-audit-action=(line.action) {
            td { (local_time(line.created_at, timezone, TIME_FORMAT)) }
            td { (line.by.as_deref().unwrap_or("the system")) }
            td { (label) }
            td {
                @if line.subject_type == Subject::ORDER_TYPE { a href=(paths::order(line.subject_id)) { "order " (line.subject_id) } }
                @else { (line.subject_type.replace('_', " ")) " " (line.subject_id) }
            }
            td { (line.details) }
        }
    }
}

fn older_link(query: &AuditQuery, id: i64) -> String {
    let fields = [
        ("action", query.action.as_deref()),
        ("user", query.user.as_deref()),
        ("from", query.from.as_deref()),
        ("to", query.to.as_deref()),
    ];
    let mut given: Vec<(&str, String)> = fields
        .iter()
        .filter_map(|(name, v)| crate::forms::given(*v).map(|v| (*name, v.to_owned())))
        .collect();
    given.push(("older_than", id.to_string()));
    paths::with_query(
        paths::AUDIT_LOG,
        &serde_urlencoded::to_string(given).unwrap_or_default(),
    )
}
