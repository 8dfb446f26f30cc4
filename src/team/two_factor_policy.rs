//! `GET /team/two-factor` and `POST /team/two-factor` (owners): the organisation's
//! "two-factor sign-in required for owners and finance", with who of them has it on.
//! Turned on, an owner or finance user without it is sent to enrol before any other
//! page, from their next request; a change is audited.

use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use crate::audit::{self, Action, Entry, Subject};
use crate::auth::two_factor::queries;
use crate::auth::users::{self, Member};
use crate::auth::{CsrfForm, CurrentUser, Permission};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::paths;
use crate::ui::layout::{self, Viewer};
use crate::ui::{html, see_other};
use diesel::QueryResult;

pub async fn show_policy(pool: web::Data<Pool>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    user.require(Permission::ManageTeam)?;
    let tenant = user.tenant();
    let (required, members, enrolled) = with_db(&pool, move |conn| {
        Ok((
            queries::policy(conn, &tenant)?,
            users::list_members(conn, &tenant)?,
            queries::users_with_two_factor(conn, &tenant)?,
        ))
    })
    .await?;
    Ok(html(policy_page(&user.viewer(), required, &members, &enrolled)))
}

#[derive(Deserialize)]
pub struct PolicyField {
    required: Option<String>,
}

pub async fn set_policy(pool: web::Data<Pool>, form: CsrfForm<PolicyField>) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    user.require(Permission::ManageTeam)?;
    let required = match form.required.as_deref() {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return Err(AppError::bad_request(
                "Choose whether two-factor sign-in is required: yes or no.",
            ))
        }
    };
    let (tenant, owner) = (user.tenant(), user.user_id);
    with_db(&pool, move |conn| Ok(change_policy(conn, &tenant, owner, required)?)).await?;
    Ok(see_other(paths::TEAM_TWO_FACTOR))
}

/// Sets the organisation's policy, audited; setting it to what it is changes nothing.
fn change_policy(conn: &mut DbConnection, tenant: &Tenant, owner: i64, required: bool) -> QueryResult<()> {
    db::write_transaction(conn, |conn| {
        let was = queries::policy(conn, tenant)?;
        if was == required {
            return Ok(());
        }
        queries::set_policy(conn, tenant, required)?;
        let details = format!(
            "required for owners and finance: {} → {}",
            yes_no(was),
            yes_no(required)
        );
        let entry = Entry {
            action: Action::TwoFactorPolicyChanged,
            user_id: Some(owner),
            subject: Subject::Organization(tenant.organization_id()),
            details: &details,
        };
        audit::record(conn, tenant, &entry, db::now_ms())
    })
}

fn yes_no(required: bool) -> &'static str {
    if required {
        "yes"
    } else {
        "no"
    }
}

fn policy_page(viewer: &Viewer, required: bool, members: &[Member], enrolled: &[i64]) -> Markup {
    let owing: Vec<&Member> = members
        .iter()
        .filter(|m| m.is_active() && m.role.owes_two_factor())
        .collect();
    layout::page(
        "Two-factor sign-in",
        Some(viewer),
        html! {
            h1 { "Two-factor sign-in" }
            p { a href=(paths::TEAM) { "Back to the team" } }
            form.stack method="post" action=(paths::TEAM_TWO_FACTOR) data-two-factor-policy=(yes_no(required)) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                fieldset {
                    legend { "Required for owners and finance" }
                    label { input type="radio" name="required" value="yes" checked[required]; " Required: without it they are sent to set it up before anything else" }
                    label { input type="radio" name="required" value="no" checked[!required]; " Not required: each user chooses" }
                }
                button type="submit" { "Save" }
            }
            h2 { "Owners and finance" }
            ul.event-list {
                @for member in owing {
                    @let on = enrolled.contains(&member.id);
                    li.card data-member=(member.id) data-two-factor=(if on { "on" } else { "off" }) {
                        strong { (member.name) } " · " (member.role.as_str()) " · "
                        @if on { "two-factor sign-in on" } @else { "no two-factor sign-in" }
                    }
                }
            }
        },
    )
}
