//! The event list's page: each event with its phase and tickets sold.

use maud::{html, Markup};

use super::model::{EventSales, Phase};
use crate::paths;
use crate::ui::components::{badge, count, local_time};
use crate::ui::layout::{self, Viewer};

pub fn events_page(viewer: &Viewer, events: &[EventSales], now: i64) -> Markup {
    layout::page(
        "Events",
        Some(viewer),
        html! {
            h1 { "Events" }
            @if events.is_empty() {
                p.notice { "No events yet." }
            }
            ul.event-list {
                @for EventSales { event, sold } in events {
                    li.card {
                        h2 { a href=(paths::event_dashboard(event.id)) { (event.name) } " " (phase_badge(event.phase(now))) }
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

fn phase_badge(phase: Phase) -> Markup {
    match phase {
        Phase::Upcoming => badge("upcoming", "upcoming"),
        Phase::Live => badge("live", "live now"),
        Phase::Ended => badge("ended", "ended"),
    }
}
