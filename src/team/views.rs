//! The team page: who is in the organisation, with their role, events and status, and
//! the forms that change them; and the page that shows a new password once.

use maud::{html, Markup};

use crate::auth::users::Member;
use crate::auth::Role;
use crate::paths;
use crate::ui::components::badge;
use crate::ui::layout::{self, Viewer};

/// The organisation's events, (id, name), for the choosers.
pub type EventNames = [(i64, String)];

pub fn team_page(viewer: &Viewer, members: &[Member], events: &EventNames) -> Markup {
    layout::page(
        "Team",
        Some(viewer),
        html! {
            h1 { "Team" }
            p.muted { "Owners and finance see every event; supervisors and stewards only the events given to them. "
                "The roles table in docs/security.md says what each role may do." }
            p { a href=(paths::TEAM_TWO_FACTOR) { "Two-factor sign-in for owners and finance" } }
            form.stack method="post" action=(paths::TEAM) data-add-member {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                label { "Name" input type="text" name="name" required maxlength="100"; }
                label { "E-mail address" input type="email" name="email" required maxlength="254"; }
                (role_and_events(Role::Steward, &[], events))
                button type="submit" { "Add user" }
            }
            h2 { "Users" }
            ul.event-list { @for member in members { (member_card(viewer, member, events)) } }
        },
    )
}

fn role_and_events(role: Role, chosen: &[i64], events: &EventNames) -> Markup {
    html! {
        label { "Role"
            select name="role" {
                @for r in Role::ALL { option value=(r.as_str()) selected[r == role] { (r.as_str()) } }
            }
        }
        label { "Events (supervisors and stewards)"
            select name="event" multiple size=(events.len().clamp(1, 5)) {
                @for (id, name) in events { option value=(id) selected[chosen.contains(id)] { (name) } }
            }
        }
    }
}

fn member_card(viewer: &Viewer, member: &Member, events: &EventNames) -> Markup {
    let names: Vec<&str> = events
        .iter()
        .filter(|(id, _)| member.events.contains(id))
        .map(|(_, name)| name.as_str())
        .collect();
    let (status, toggle, label) = match member.is_active() {
        true => ("active", paths::team_member_deactivate(member.id), "Deactivate"),
        false => ("deactivated", paths::team_member_reactivate(member.id), "Reactivate"),
    };
    html! {
        li.card data-member=(member.id) data-role=(member.role.as_str()) data-status=(status) {
            strong { (member.name) } " · " (member.email) " · " (badge(status, status))
            p.muted { (member.role.as_str())
                @if !member.role.sees_every_event() { " · " @if names.is_empty() { "no events" } @else { (names.join(", ")) } } }
            details {
                summary { "Change" }
                form.stack method="post" action=(paths::team_member_role(member.id)) {
                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                    (role_and_events(member.role, &member.events, events))
                    button type="submit" { "Save role and events" }
                }
                form method="post" action=(toggle) {
                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                    button type="submit" { (label) }
                }
                form method="post" action=(paths::team_member_password(member.id)) {
                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                    button type="submit" { "Set a new password" }
                }
            }
        }
    }
}

/// A password just set: shown once, never stored.
pub fn password_page(viewer: &Viewer, member: &Member, password: &str, added: bool) -> Markup {
    layout::page(
        "New password",
        Some(viewer),
        html! {
            h1 { @if added { "User added" } @else { "New password" } }
            section.notice role="status" data-member=(member.id) {
                p { "The password of " strong { (member.name) } " (" (member.email) ") is shown only now: "
                    "give it to them before you leave this page." }
                p { code data-password { (password) } }
                @if !added { p.muted { "Their sessions have ended: they sign in again with it." } }
            }
            p { a href=(paths::TEAM) { "Back to the team" } }
        },
    )
}
