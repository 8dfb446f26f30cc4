//! `POST /events/{id}/entry-policy`: an owner sets the event's entry policy from the
//! scan monitor; the monitor shows the policy in force and redraws when it changes.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::entry_policy::{change_entry_policy, ChangedBy};
use crate::auth::{CsrfForm, Permission};
use crate::db::{Pool, Tenant};
use crate::domain::EventId;
use crate::error::{with_db, AppError};
use crate::events::{load_event, EntryPolicy};
use crate::live::{Bus, Channel, Update, UpdateKind};
use crate::paths;
use crate::ui::layout::Viewer;
use crate::ui::see_other;

#[derive(Deserialize)]
pub struct EntryPolicyForm {
    policy: Option<String>,
}

pub async fn set_entry_policy(
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
    form: CsrfForm<EntryPolicyForm>,
    path: web::Path<EventId>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    let (tenant, event_id, by) = (user.tenant(), path.into_inner().get(), ChangedBy::User(user.user_id));
    // As every event page: an event not the user's is 404 before their role is asked.
    user.require_on_event(Permission::SetEntryPolicy, event_id)?;
    load_event(&pool, tenant, event_id).await?;
    let policy = form.policy()?;
    with_db(&pool, move |conn| {
        Ok(change_entry_policy(conn, &tenant, by, event_id, policy)?)
    })
    .await?;
    redraw_monitors(bus.get_ref(), &tenant, event_id);
    Ok(see_other(&paths::scan_monitor(event_id)))
}

impl EntryPolicyForm {
    fn policy(&self) -> Result<EntryPolicy, AppError> {
        let raw = self.policy.as_deref().unwrap_or_default();
        raw.trim().parse().map_err(AppError::bad_request)
    }
}

/// Every instance's monitors of the event redraw their panel, which reads the policy.
fn redraw_monitors(bus: &dyn Bus, tenant: &Tenant, event_id: i64) {
    bus.publish(Update {
        channel: Channel::scans(tenant, event_id),
        kind: UpdateKind::EventChanged,
    });
}

/// The policy in force, in words (part of the live panel).
pub fn policy_line(policy: EntryPolicy) -> Markup {
    html! {
        p.entry-policy data-entry-policy=(policy.as_stored()) {
            "Entry rule: " strong { (policy.label()) } " · " span.muted { (explanation(policy)) }
        }
    }
}

fn explanation(policy: EntryPolicy) -> &'static str {
    match policy {
        EntryPolicy::Reentry => "after an exit the ticket is valid again",
        EntryPolicy::NoReentry => "one entry per ticket: after an exit it is refused",
        EntryPolicy::OncePerDay => "one entry per ticket per day (event's time zone)",
    }
}

/// The owners' form that changes it.
pub fn policy_form(viewer: &Viewer, event_id: i64, current: EntryPolicy) -> Markup {
    html! {
        form.entry-policy-form method="post" action=(paths::entry_policy(event_id)) {
            input type="hidden" name="csrf_token" value=(viewer.csrf_token);
            label for="entry-policy" { "Entry rule" }
            " "
            select id="entry-policy" name="policy" {
                @for policy in EntryPolicy::ALL {
                    option value=(policy.as_stored()) selected[policy == current] { (policy.label()) }
                }
            }
            " "
            button type="submit" { "Set entry rule" }
        }
    }
}
