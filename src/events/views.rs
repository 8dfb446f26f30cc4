//! Event list and event page views. The occupancy cards are rendered by the same
//! function for the first load and for every pushed update.

use maud::{html, Markup};

use super::queries::{Event, OccupancySummary, Phase};
use crate::ui::components::{badge, count, local_time, Money};
use crate::ui::layout::{self, Viewer};

/// The SSE event name the occupancy cards are pushed under.
pub const OCCUPANCY_SSE_EVENT: &str = "occupancy";

pub fn events_page(viewer: &Viewer, events: &[(Event, i64)], now: i64) -> Markup {
    layout::page(
        "Events",
        Some(viewer),
        html! {
            h1 { "Events" }
            @if events.is_empty() {
                p.notice { "No events yet." }
            }
            ul.event-list {
                @for (event, sold) in events {
                    li.card {
                        h2 { a href={ "/events/" (event.id) } { (event.name) } " " (phase_badge(event.phase(now))) }
                        p.muted {
                            (event.venue) " · "
                            (local_time(event.starts_at, &event.timezone, "%a %e %b %Y %H:%M %Z"))
                        }
                        p { (count(*sold)) " of " (count(event.capacity)) " tickets sold" }
                    }
                }
            }
        },
    )
}

pub fn event_page(viewer: &Viewer, event: &Event, summary: &OccupancySummary, now: i64) -> Markup {
    layout::page(
        &event.name,
        Some(viewer),
        html! {
            h1 { (event.name) " " (phase_badge(event.phase(now))) }
            p.muted {
                (event.venue) " · "
                (local_time(event.starts_at, &event.timezone, "%a %e %b %Y %H:%M")) " – "
                (local_time(event.ends_at, &event.timezone, "%a %e %b %H:%M %Z"))
            }
            p { a href={ "/events/" (event.id) "/scans" } { "Scan monitor" } }
            div hx-ext="sse" sse-connect={ "/sse/events/" (event.id) "/occupancy" } {
                p.connection data-connection role="status" { "Connecting…" }
                section id="occupancy" aria-labelledby="occupancy-heading" sse-swap=(OCCUPANCY_SSE_EVENT) {
                    (occupancy_cards(event, summary))
                }
            }
        },
    )
}

/// Sold, takings and inside now, as cards. Pushed whole on every update.
pub fn occupancy_cards(event: &Event, summary: &OccupancySummary) -> Markup {
    html! {
        h2 id="occupancy-heading" { "Right now" }
        div.cards {
            div.card {
                span.value data-metric="sold" { (count(summary.sold)) }
                span.label { "tickets sold of " (count(event.capacity)) }
            }
            div.card {
                span.value data-metric="inside" { (count(summary.inside)) }
                span.label { "inside now" }
            }
            div.card.wide {
                span.value data-metric="gross" { (Money { minor: summary.gross, currency: &event.currency }) }
                span.label { "gross takings" }
            }
        }
    }
}

fn phase_badge(phase: Phase) -> Markup {
    match phase {
        Phase::Upcoming => badge("upcoming", "upcoming"),
        Phase::Live => badge("live", "live now"),
        Phase::Ended => badge("ended", "ended"),
    }
}
