//! The owner's kiosk-link list and the kiosk display itself.

use maud::{html, Markup};

use super::queries::KioskLink;
use crate::events::Event;
use crate::gate_alerts::KIOSK_ALERTS_SSE_EVENT;
use crate::paths;
use crate::scanning::{Gate, Occupancy};
use crate::ui::components::{count, event_links, local_time, occupancy_warning};
use crate::ui::layout::{self, Viewer};
use crate::zones::{pushed_gauges, zone_gauges, ZoneBoard};

/// The SSE event name the kiosk display is pushed under.
pub const KIOSK_SSE_EVENT: &str = "kiosk";

pub struct LinksPage<'a> {
    pub event: &'a Event,
    pub gates: &'a [Gate],
    pub links: &'a [KioskLink],
    /// The URL of a link just created: shown once, never stored.
    pub new_link: Option<&'a str>,
}

pub fn links_page(viewer: &Viewer, page: &LinksPage) -> Markup {
    let event = page.event;
    layout::page(
        &format!("Kiosk links · {}", event.name),
        Some(viewer),
        html! {
            h1 { "Kiosk links" }
            p.muted { (event.name) }
            (event_links(&[("Scan monitor", paths::scan_monitor(event.id))]))
            @if let Some(url) = page.new_link {
                section.notice role="status" {
                    h2 { "New kiosk link" }
                    p { "Open this on the kiosk screen. It is shown only now: copy it before you leave this page." }
                    p { a href=(url) { code { (url) } } }
                }
            }
            form.stack method="post" action=(paths::kiosk_links(event.id)) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                label { "Show"
                    select name="gate" {
                        option value="" { "The whole event" }
                        @for gate in page.gates { option value=(gate.id) { "Gate " (gate.name) } }
                    }
                }
                button type="submit" { "Create kiosk link" }
            }
            h2 { "Links" }
            @if page.links.is_empty() { p.muted { "No kiosk links yet." } }
            ul.event-list {
                @for link in page.links {
                    li.card data-link=(link.id) {
                        strong { @match &link.gate { Some(gate) => { "Gate " (gate) }, None => "Whole event" } }
                        " · created " (local_time(link.created_at, &event.timezone, "%e %b %H:%M"))
                        @match link.revoked_at {
                            Some(at) => { " · " span.muted { "revoked " (local_time(at, &event.timezone, "%e %b %H:%M")) } }
                            None => {
                                form method="post" action=(paths::kiosk_link_revoke(event.id, link.id)) {
                                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                                    button type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// What a kiosk shows.
pub struct KioskNumbers<'a> {
    pub event: &'a Event,
    /// People inside, and for a gate's kiosk the gate's counts.
    pub occupancy: Occupancy,
    /// The event's zones with their people.
    pub zones: ZoneBoard,
    /// For a gate's kiosk: the gate's name.
    pub gate_name: Option<&'a str>,
}

/// The page: the numbers and, below them, the gate's open alerts (both live).
pub fn kiosk_page(event_name: &str, (display, alerts): (Markup, Markup), stream_url: &str) -> Markup {
    layout::kiosk_page(
        event_name,
        html! {
            div.kiosk hx-ext="sse" sse-connect=(stream_url) {
                p.connection data-connection role="status" { "Connecting…" }
                p.connection data-live-status sse-swap="live-status" role="status" {}
                // Receives the pushed parts; each finds its own place by id.
                div hidden sse-swap=(KIOSK_SSE_EVENT) hx-swap="none" {}
                div id="kiosk-display" { (display) }
                div id="kiosk-alerts" aria-live="polite" sse-swap=(KIOSK_ALERTS_SSE_EVENT) { (alerts) }
            }
        },
    )
}

/// The display as the page first shows it: the numbers, then the zones' gauges.
pub fn kiosk_display(numbers: &KioskNumbers) -> Markup {
    html! {
        div id="kiosk-numbers" { (kiosk_numbers(numbers)) }
        (zone_gauges(&numbers.zones, &numbers.event.timezone))
    }
}

/// What a (coalesced) change pushes: the numbers, and each zone's gauge as a part of its
/// own (a client is sent only the parts that changed).
pub fn kiosk_parts(numbers: &KioskNumbers) -> Vec<String> {
    let numbers_part = html! { div id="kiosk-numbers" hx-swap-oob="innerHTML" { (kiosk_numbers(numbers)) } };
    std::iter::once(numbers_part.into_string())
        .chain(pushed_gauges(&numbers.zones, &numbers.event.timezone))
        .collect()
}

/// The event's (or the gate's) numbers.
fn kiosk_numbers(numbers: &KioskNumbers) -> Markup {
    let capacity = numbers.event.capacity;
    let inside = numbers.occupancy.inside;
    let percent = if capacity > 0 { inside * 100 / capacity } else { 0 };
    let gate = numbers.gate_name.zip(numbers.occupancy.gate.as_ref());
    html! {
        h1 { (numbers.event.name) @if let Some((name, _)) = gate { " · Gate " (name) } }
        (occupancy_warning(inside, capacity))
        p.kiosk-occupancy {
            span.value data-metric="occupancy" { (count(inside)) }
            span.label { " inside of " (count(capacity)) " (" (percent) " %)" }
        }
        @if let Some((_, tally)) = gate {
            p.kiosk-gate {
                span data-metric="per-minute" { (count(tally.per_minute)) } " scans/min · "
                (count(tally.valid)) " admitted · " (count(tally.duplicate + tally.invalid)) " refused"
            }
        }
    }
}

/// Shown in place of the numbers when the link is revoked while open.
pub fn revoked_display() -> Markup {
    html! {
        div id="kiosk-display" hx-swap-oob="innerHTML" {
            p.capacity-warning.full role="alert" { "This kiosk link was revoked. Ask the organiser for a new one." }
        }
    }
}
