//! The door lookup's page and its result fragment (what htmx swaps into `#door-result`).

use chrono_tz::Tz;
use maud::{html, Markup};

use super::queries::TicketAtDoor;
use crate::events::Event;
use crate::paths;
use crate::scanning::Direction;
use crate::scanning::ScanLine;
use crate::ui::components::{badge, event_links, local_time};
use crate::ui::layout::{self, Viewer};

/// The element the result is swapped into.
pub const RESULT_ID: &str = "door-result";

/// The page: the code form, and the result of the code asked for, if any.
pub fn door_page(viewer: &Viewer, event: &Event, code: &str, result: Option<Markup>) -> Markup {
    let url = paths::door_lookup(event.id);
    layout::page(
        &format!("Door lookup · {}", event.name),
        Some(viewer),
        html! {
            h1 { "Door lookup" }
            p.muted { (event.name) }
            (event_links(&[("Scan monitor", paths::scan_monitor(event.id))]))
            form.stack method="get" action=(url) hx-get=(url) hx-target={ "#" (RESULT_ID) } hx-push-url="true" {
                label { "Ticket code"
                    input type="search" name="code" value=(code) required autocomplete="off"
                        autocapitalize="characters" spellcheck="false" inputmode="text";
                }
                button type="submit" { "Look up" }
            }
            section id=(RESULT_ID) aria-live="polite" { @if let Some(result) = result { (result) } }
        },
    )
}

/// One ticket: its type, status, holder and scans.
pub fn ticket_found(ticket: &TicketAtDoor, scans: &[ScanLine], timezone: &Tz) -> Markup {
    html! {
        article.card data-ticket=(ticket.code) {
            h2 { code { (ticket.code) } }
            p {
                strong data-holder { (ticket.holder) } " · " span data-ticket-type { (ticket.ticket_type) } " · "
                (badge(ticket.status.as_str(), ticket.status.as_str()))
                @match ticket.inside_since {
                    Some(at) => { " · inside since " (local_time(at, timezone, "%H:%M")) },
                    None => { " · not inside" },
                }
            }
            h3 { "Scans" }
            @if scans.is_empty() { p.muted { "Not scanned yet." } }
            @else {
                div.table-scroll role="region" aria-label="This ticket's scans" tabindex="0" { table.door-scans {
                    thead { tr { th { "Time" } th { "Gate" } th { "Direction" } th { "Result" } } }
                    tbody { @for scan in scans { (scan_line(scan, timezone)) } }
                } }
            }
        }
    }
}

fn scan_line(scan: &ScanLine, timezone: &Tz) -> Markup {
    html! {
        tr data-scan-id=(scan.id) {
            td.time { (local_time(scan.scanned_at, timezone, "%e %b %H:%M:%S")) }
            td { (scan.gate) small { (scan.device) } }
            td { @if scan.direction == Direction::Out { "exit" } @else { "entry" } }
            td {
                (badge(scan.result.as_str(), scan.result.as_str()))
                @if let Some(reason) = &scan.reason { small data-reason { (reason) } }
            }
        }
    }
}

/// No ticket of this event has the code.
pub fn no_such_ticket(code: &str) -> Markup {
    html! { p.notice role="status" data-door-missing { "No ticket of this event has the code " code { (code) } "." } }
}
