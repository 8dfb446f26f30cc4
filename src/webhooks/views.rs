//! The owner's webhook settings: the endpoint list with the form that adds one, and one
//! endpoint's delivery log with its actions.

use maud::{html, Markup};

use super::endpoints::AddedEndpoint;
use super::model::EventKind;
use super::queries::{DeliveryLine, Endpoint};
use super::signing::{DELIVERY_HEADER, SIGNATURE_HEADER};
use crate::db::format_utc;
use crate::domain::DeliveryStatus;
use crate::paths;
use crate::ui::components::badge;
use crate::ui::layout::{self, Viewer};

pub fn webhooks_page(viewer: &Viewer, endpoints: &[Endpoint], added: Option<&AddedEndpoint>) -> Markup {
    layout::page(
        "Webhooks",
        Some(viewer),
        html! {
            h1 { "Webhooks" }
            p.muted {
                "Each delivery is a JSON POST signed with the endpoint's secret: the "
                code { (SIGNATURE_HEADER) } " header is " code { "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">" }
                "; " code { (DELIVERY_HEADER) } " (also the body's " code { "id" } ") is unique per delivery. "
                "A delivery that gets no 2xx answer is tried again after 30 s, doubling, 8 attempts in all."
            }
            @if let Some(added) = added {
                section.notice role="status" data-new-webhook=(added.id) {
                    h2 { "Endpoint added" }
                    p { "Its signing secret is shown only now: copy it before you leave this page." }
                    p { code data-secret { (added.secret) } }
                }
            }
            form.stack method="post" action=(paths::WEBHOOKS) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                label { "Endpoint URL" input type="url" name="url" required placeholder="https://example.com/hooks"; }
                fieldset {
                    legend { "Events" }
                    @for kind in EventKind::SUBSCRIBABLE {
                        label { input type="checkbox" name="event" value=(kind.as_str()); " " code { (kind.as_str()) } " · " (kind.label()) }
                    }
                }
                button type="submit" { "Add endpoint" }
            }
            h2 { "Endpoints" }
            @if endpoints.is_empty() { p.muted { "No endpoints yet." } }
            ul.event-list {
                @for endpoint in endpoints {
                    li.card data-webhook=(endpoint.id) {
                        a href=(paths::webhook(endpoint.id)) { code { (endpoint.url) } }
                        " " (state_badge(endpoint))
                        " · added " (format_utc(endpoint.created_at))
                        p.muted { @for (i, kind) in endpoint.events.kinds().iter().enumerate() { @if i > 0 { ", " } (kind.as_str()) } }
                    }
                }
            }
        },
    )
}

fn state_badge(endpoint: &Endpoint) -> Markup {
    match endpoint.disabled_at {
        Some(_) => badge("cancelled", "disabled"),
        None => badge("valid", "enabled"),
    }
}

fn action(viewer: &Viewer, url: &str, label: &str) -> Markup {
    html! {
        form method="post" action=(url) {
            input type="hidden" name="csrf_token" value=(viewer.csrf_token);
            button type="submit" { (label) }
        }
    }
}

pub fn webhook_page(viewer: &Viewer, endpoint: &Endpoint, deliveries: &[DeliveryLine]) -> Markup {
    layout::page(
        "Webhook",
        Some(viewer),
        html! {
            p.muted { a href=(paths::WEBHOOKS) { "Webhooks" } }
            h1 { code { (endpoint.url) } " " (state_badge(endpoint)) }
            p { "Events: " @for (i, kind) in endpoint.events.kinds().iter().enumerate() { @if i > 0 { ", " } code { (kind.as_str()) } } }
            div.actions {
                (action(viewer, &paths::webhook_test(endpoint.id), "Send test"))
                @match endpoint.disabled_at {
                    Some(_) => (action(viewer, &paths::webhook_enable(endpoint.id), "Enable")),
                    None => (action(viewer, &paths::webhook_disable(endpoint.id), "Disable")),
                }
                (action(viewer, &paths::webhook_delete(endpoint.id), "Delete"))
            }
            h2 { "Deliveries" }
            @if deliveries.is_empty() { p.muted { "Nothing delivered yet." } }
            @else {
                div.table-scroll role="region" aria-label="Deliveries" tabindex="0" {
                    table.webhook-deliveries {
                        thead { tr { th { "Queued" } th { "Event" } th { "Status" } th { "Attempts" } th { "Last error" } th { "Next attempt" } th { "Sent" } th { "Delivery id" } } }
                        tbody {
                            @for d in deliveries {
                                tr data-delivery=(d.id) data-status=(d.status) {
                                    td { (format_utc(d.created_at)) }
                                    td { code { (d.event) } }
                                    td { (badge(status_class(&d.status), &d.status)) }
                                    td data-attempts { (d.attempts) }
                                    td { (d.last_error.as_deref().unwrap_or("")) }
                                    td { @if d.status == DeliveryStatus::Queued.as_str() { (format_utc(d.next_attempt_at)) } }
                                    td { @if let Some(at) = d.sent_at { (format_utc(at)) } }
                                    td { code { (d.delivery_key) } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn status_class(status: &str) -> &'static str {
    match status {
        "sent" => "valid",
        "failed" => "invalid",
        _ => "pending",
    }
}
