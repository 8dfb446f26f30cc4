//! The overview page: live events as cards (the same markup is pushed, out of band,
//! when one changes), then the other events as the event list always showed them.

use maud::{html, Markup};

use super::model::{LiveRow, DOORS_OPEN_BEFORE_MS};
use crate::events::{EventSales, Phase};
use crate::paths;
use crate::ui::components::{badge, count, local_time};
use crate::ui::layout::{self, Viewer};
use crate::zones::zone_gauges;

/// The SSE event (and `sse-swap` name) of a card's pushed numbers.
pub const ROW_SSE_EVENT: &str = "overview-row";
/// Open alerts a card names; more are counted.
const ALERTS_NAMED: usize = 2;

/// Which of an event's pages the viewer's role may open (a card links only to those).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardLinks {
    pub dashboard: bool,
    pub monitor: bool,
}

pub fn overview_page(viewer: &Viewer, live: &[LiveRow], others: &[EventSales], links: CardLinks, now: i64) -> Markup {
    layout::page(
        "Events",
        Some(viewer),
        html! {
            h1 { "Events" }
            @if live.is_empty() && others.is_empty() {
                p.notice { "No events yet." }
            }
            @if !live.is_empty() {
                section aria-labelledby="live-heading" {
                    h2 id="live-heading" { "Live now" }
                    p.muted {
                        "Events whose doors are open (from " (DOORS_OPEN_BEFORE_MS / 3_600_000)
                        " h before the start to the end), updated as tickets sell and people are scanned."
                    }
                    // Announces only when an event's open alerts change, never every count.
                    div.visually-hidden aria-live="polite" {
                        @for row in live { (announcement(row, false)) }
                    }
                    div hx-ext="sse" sse-connect=(paths::events_overview_stream()) {
                        p.connection data-connection role="status" { "Connecting…" }
                        p.connection data-live-status sse-swap="live-status" role="status" {}
                        div.overview-live sse-swap=(ROW_SSE_EVENT) hx-swap="none" {
                            @for row in live { (live_card(row, links)) }
                        }
                    }
                }
            }
            @if !others.is_empty() {
                section aria-labelledby="other-heading" {
                    h2 id="other-heading" { @if live.is_empty() { "All events" } @else { "Other events" } }
                    (event_list(others, links, now))
                }
            }
        },
    )
}

/// A live event's card: its name, venue and links stay; its numbers are pushed.
fn live_card(row: &LiveRow, links: CardLinks) -> Markup {
    let event = &row.event;
    html! {
        article.card.live-event id={ "overview-" (event.id) } data-event=(event.id) {
            h3 { (event_name(event.id, &event.name, links)) }
            p.muted { (event.venue) }
            (card_numbers(row, false))
            (zone_gauges(&row.zones, &event.timezone))
            p.links {
                @if links.dashboard { a href=(paths::event_dashboard(event.id)) { "Dashboard" } }
                @if links.dashboard && links.monitor { " · " }
                @if links.monitor { a href=(paths::scan_monitor(event.id)) { "Scan monitor" } }
            }
        }
    }
}

/// A card's numbers; `pushed` marks them to replace those in the page (the same for
/// every viewer of the organisation, whatever pages their role opens).
pub fn card_numbers(row: &LiveRow, pushed: bool) -> Markup {
    let event = &row.event;
    let percent = match event.capacity {
        0 => 0,
        capacity => row.inside * 100 / capacity,
    };
    html! {
        div.numbers id={ "overview-numbers-" (event.id) } data-event=(event.id) hx-swap-oob=[pushed.then_some("true")] {
            p.inside {
                meter min="0" max=(event.capacity.max(1)) value=(row.inside.min(event.capacity.max(1))) aria-hidden="true" {}
                span data-metric="inside" { (count(row.inside)) } " inside of " (count(event.capacity)) " (" (percent) " %)"
            }
            dl.tally {
                dt { "Scans per minute" } dd data-metric="per-minute" { (count(row.per_minute)) }
                dt { "Sold today" } dd data-metric="sold-today" { (count(row.sold_today)) }
                dt { "Open alerts" } dd data-metric="alerts" { (alerts_text(row)) }
            }
        }
    }
}

fn event_name(event_id: i64, name: &str, links: CardLinks) -> Markup {
    html! {
        @if links.dashboard { a href=(paths::event_dashboard(event_id)) { (name) } }
        @else if links.monitor { a href=(paths::scan_monitor(event_id)) { (name) } }
        @else { (name) }
    }
}

fn alerts_text(row: &LiveRow) -> Markup {
    let more = row.alerts.len().saturating_sub(ALERTS_NAMED);
    html! {
        @if row.alerts.is_empty() { "none" }
        @else {
            strong.alert-count { (row.alerts.len()) }
            ": "
            @for (i, alert) in row.alerts.iter().take(ALERTS_NAMED).enumerate() {
                @if i > 0 { "; " }
                span.alert-kind { (alert.kind.title()) } " at " (alert.gate)
            }
            @if more > 0 { " and " (more) " more" }
        }
    }
}

/// The polite live region's line for one event: changes only with its open alerts.
pub fn announcement(row: &LiveRow, pushed: bool) -> Markup {
    let alerts = row.alerts.len();
    html! {
        span id={ "overview-announce-" (row.event.id) } hx-swap-oob=[pushed.then_some("true")] {
            @if alerts > 0 {
                (row.event.name) ": " (alerts) @if alerts == 1 { " open alert. " } @else { " open alerts. " }
            }
        }
    }
}

fn event_list(events: &[EventSales], links: CardLinks, now: i64) -> Markup {
    html! {
        ul.event-list {
            @for EventSales { event, sold } in events {
                li.card {
                    h3 { (event_name(event.id, &event.name, links)) " " (phase_badge(event.phase(now))) }
                    p.muted {
                        (event.venue) " · "
                        (local_time(event.starts_at, &event.timezone, "%a %e %b %Y %H:%M %Z"))
                    }
                    p { (count(*sold)) " of " (count(event.capacity)) " tickets sold" }
                }
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
