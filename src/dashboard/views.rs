//! The event dashboard. Every live section is a container with an id; the first load
//! renders its inside, and each pushed update carries the insides that changed as
//! `hx-swap-oob="innerHTML"` fragments, so the containers (and the alerts' live region)
//! stay in place.

use maud::{html, Markup};

use super::capacity_alerts::level_of;
use super::chart::{chart_figure, sales_chart};
use super::model::{Alert, AlertLevel, AlertSubject, EventMetrics, TicketTypeSales, Velocity};
use crate::arrivals::{arrivals_section, Pushed as ArrivalsPushed, Shown as ArrivalsShown};
use crate::events::Event;
use crate::paths;
use crate::ui::components::{badge, count, event_links, local_time, panel_unavailable, Money};
use crate::ui::layout::{self, Viewer};
use crate::zones::{pushed_gauges, zones_section};

/// The SSE event the dashboard's updates are pushed under.
pub const DASHBOARD_SSE_EVENT: &str = "occupancy";

/// What the dashboard shows: the event and its metrics at one moment.
pub struct Dashboard<'a> {
    pub event: &'a Event,
    pub metrics: &'a EventMetrics,
    pub now: i64,
}

/// The whole page: the event, its metrics when they could be read, and its arrivals.
pub struct DashboardPage<'a> {
    pub event: &'a Event,
    /// None: the metrics are unavailable (their sections say so; the stream retries).
    pub dashboard: Option<&'a Dashboard<'a>>,
    pub arrivals: ArrivalsShown<'a>,
}

/// The live sections, in page order: (container id, heading, inside). Without metrics,
/// each says it is unavailable.
fn sections(d: Option<&Dashboard>) -> [(&'static str, &'static str, Markup); 6] {
    let inside = |draw: fn(&Dashboard) -> Markup| d.map_or_else(panel_unavailable, draw);
    [
        ("occupancy", "Occupancy", inside(occupancy)),
        ("ticket-sales", "Ticket sales", inside(ticket_sales)),
        ("revenue", "Revenue", inside(revenue)),
        ("velocity", "Sales velocity", inside(velocity)),
        ("sales-chart", "Sales over time", inside(sales_chart_section)),
        ("event-status", "", d.map_or_else(|| html! {}, status)),
    ]
}

pub fn dashboard_page(viewer: &Viewer, page: &DashboardPage) -> Markup {
    let event = page.event;
    let [occupancy, sales, revenue, velocity, chart, status] = sections(page.dashboard);
    let section = |(id, heading, inside): (&str, &str, Markup)| {
        html! {
            section.panel aria-labelledby={ (id) "-heading" } {
                h2 id={ (id) "-heading" } { (heading) }
                div id=(id) { (inside) }
            }
        }
    };
    layout::page(
        &event.name,
        Some(viewer),
        html! {
            header.event-header {
                h1 { (event.name) }
                p id=(status.0) { (status.2) }
                p.muted {
                    (event.venue) " · "
                    (local_time(event.starts_at, &event.timezone, "%a %e %b %Y %H:%M")) " – "
                    (local_time(event.ends_at, &event.timezone, "%a %e %b %H:%M %Z"))
                    " · capacity " (count(event.capacity))
                }
                (event_links(&[("Scan monitor", paths::scan_monitor(event.id)), ("Zones", paths::zones(event.id))]))
            }
            div hx-ext="sse" sse-connect=(paths::event_dashboard_stream(event.id)) {
                p.connection data-connection role="status" { "Connecting…" }
                p.connection data-live-status sse-swap="live-status" role="status" {}
                // Receives the pushed fragments; each finds its own container by id.
                div hidden sse-swap=(DASHBOARD_SSE_EVENT) hx-swap="none" {}
                // As on the monitor: occupancy, then alerts, then sales.
                div.dashboard {
                    (section(occupancy))
                    @if let Some(d) = page.dashboard { (zones_section(&d.metrics.zones, &event.timezone, &paths::zones(event.id))) }
                    // Polite: read out when an alert starts or ends, not on every update.
                    div id="alerts" aria-live="polite" { (page.dashboard.map_or_else(panel_unavailable, alerts)) }
                    (section(sales))
                    (section(revenue))
                    (section(velocity))
                    (section(chart))
                    (arrivals_section(page.arrivals, &event.timezone, ArrivalsPushed::WithPage))
                }
            }
        },
    )
}

/// Every live part of the dashboard as an out-of-band fragment, in a fixed order (a
/// client is sent only the parts that differ from what it has).
pub fn dashboard_parts(d: Option<&Dashboard>) -> Vec<String> {
    let mut parts: Vec<String> = sections(d).into_iter().map(|(id, _, inside)| oob(id, inside)).collect();
    // Parts keep their places (clients compare them one by one): without metrics, the
    // alerts say they are unavailable rather than vanish.
    parts.push(oob("alerts", d.map_or_else(panel_unavailable, alerts)));
    // Each zone a part of its own: a scan sends the gauges it moved, not all of them.
    parts.extend(
        d.map(|d| pushed_gauges(&d.metrics.zones, &d.event.timezone))
            .unwrap_or_default(),
    );
    parts
}

fn oob(id: &str, inside: Markup) -> String {
    html! { div id=(id) hx-swap-oob="innerHTML" { (inside) } }.into_string()
}

/// On sale, sold out, live or ended.
fn status(d: &Dashboard) -> Markup {
    let (event, metrics) = (d.event, d.metrics);
    let sold_out = metrics.ticket_capacity() > 0 && metrics.sold() >= metrics.ticket_capacity()
        || event.capacity > 0 && metrics.sold() >= event.capacity;
    if d.now > event.ends_at {
        badge("ended", "ended")
    } else if d.now >= event.starts_at {
        badge("live", "live now")
    } else if sold_out {
        badge("sold-out", "sold out")
    } else if d.now >= event.sales_open_at {
        badge("on-sale", "on sale")
    } else {
        html! { (badge("upcoming", "sales not open")) " " span.muted { "opens " (local_time(event.sales_open_at, &event.timezone, "%e %b %H:%M")) } }
    }
}

fn occupancy(d: &Dashboard) -> Markup {
    let (inside, capacity) = (d.metrics.inside, d.event.capacity);
    let percent = percent_of(inside, capacity);
    html! {
        div.occupancy {
            (gauge(percent, level_class(inside, capacity)))
            p.occupancy-text {
                span.value data-metric="inside" { (count(inside)) }
                span.label { " inside of " (count(capacity)) " · " span data-metric="occupancy-percent" { (percent) " %" } }
            }
        }
        p {
            span.value.small data-metric="sold" { (count(d.metrics.sold())) }
            " tickets sold of " (count(d.metrics.ticket_capacity()))
        }
    }
}

fn percent_of(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        part * 100 / whole
    }
}

/// The colour band of a count against its capacity: the alerts' thresholds.
fn level_class(count: i64, capacity: i64) -> &'static str {
    level_of(count, capacity).map_or("ok", alert_class)
}

/// A half-circle gauge. Decorative: the number beside it says the same in text.
fn gauge(percent: i64, level: &str) -> Markup {
    let arc = "M10 60A50 50 0 0 1 110 60";
    html! {
        svg.gauge viewBox="0 0 120 66" aria-hidden="true" focusable="false" {
            path.track d=(arc) pathLength="100" {}
            @if percent > 0 {
                path class={ "fill " (level) } d=(arc) pathLength="100" stroke-dasharray={ (percent.min(100)) " 100" } {}
            }
            // The 90 % mark, where the warning band starts.
            path.mark d="M97.6 31.6L106.2 26.2" {}
        }
    }
}

fn ticket_sales(d: &Dashboard) -> Markup {
    let types = &d.metrics.ticket_types;
    let currency = &d.event.currency;
    if types.is_empty() {
        return html! { p.muted { "No ticket types yet." } };
    }
    let revenue: i64 = types.iter().map(|t| t.revenue).sum();
    html! {
        table.ticket-sales {
            thead { tr { th scope="col" { "Type" } th scope="col" { "Sold" } th scope="col" { "Revenue" } } }
            tbody {
                @for t in types { (ticket_type_row(t, currency)) }
            }
            tfoot {
                tr {
                    th scope="row" { "Total" }
                    td data-metric="sold-total" { (count(d.metrics.sold())) " / " (count(d.metrics.ticket_capacity())) }
                    td { (Money { minor: revenue, currency }) }
                }
            }
        }
    }
}

fn ticket_type_row(t: &TicketTypeSales, currency: &str) -> Markup {
    let percent = percent_of(t.sold, t.capacity);
    html! {
        tr data-ticket-type=(t.id) {
            th scope="row" { (t.name) }
            td {
                span data-metric="type-sold" { (count(t.sold)) } " / " (count(t.capacity))
                // An SVG bar: its width is an attribute, not an inline style the CSP refuses.
                svg.bar aria-hidden="true" viewBox="0 0 100 1" preserveAspectRatio="none" {
                    rect class={ "bar-fill " (level_class(t.sold, t.capacity)) } width=(percent.min(100)) height="1" {}
                }
            }
            td { (Money { minor: t.revenue, currency }) }
        }
    }
}

fn revenue(d: &Dashboard) -> Markup {
    let r = d.metrics.revenue;
    let currency = &d.event.currency;
    let row = |label: &str, metric: &str, minor: i64| {
        html! { div { dt { (label) } dd data-metric=(metric) { (Money { minor, currency }) } } }
    };
    html! {
        dl.revenue {
            (row("Gross", "gross", r.gross))
            (row("Fees", "fees", r.fees))
            (row("Refunds", "refunds", r.refunds))
            (row("Net", "net", r.net))
        }
    }
}

fn velocity(d: &Dashboard) -> Markup {
    let v: Velocity = d.metrics.velocity;
    let tenths = v.average_tenths_per_hour();
    let trend = match v.last_hour.cmp(&v.hour_before) {
        std::cmp::Ordering::Greater => {
            html! { span.up aria-hidden="true" { "▲ " } "up from " (count(v.hour_before)) " the hour before" }
        }
        std::cmp::Ordering::Less => {
            html! { span.down aria-hidden="true" { "▼ " } "down from " (count(v.hour_before)) " the hour before" }
        }
        std::cmp::Ordering::Equal => html! { "same as the hour before" },
    };
    html! {
        p { span.value.small data-metric="last-hour" { (count(v.last_hour)) } " tickets in the last hour · " (trend) }
        p.muted {
            span data-metric="average-per-hour" { (count(tenths / 10)) "." (tenths % 10) } " per hour on average since sales opened ("
            (local_time(d.event.sales_open_at, &d.event.timezone, "%e %b")) ")"
        }
    }
}

fn sales_chart_section(d: &Dashboard) -> Markup {
    let until = d.now.min(d.event.ends_at);
    chart_figure(&sales_chart(&d.metrics.hourly_sales, until, &d.event.timezone))
}

/// The warning bands, with when each began. Their text holds no moving numbers, so the
/// live region around them speaks only when an alert starts or ends.
fn alerts(d: &Dashboard) -> Markup {
    html! {
        @for alert in &d.metrics.alerts {
            p class={ "capacity-warning " (alert_class(alert.level)) } data-alert {
                (alert_text(alert)) " Since "
                (local_time(alert.since, &d.event.timezone, "%H:%M on %e %b")) "."
            }
        }
    }
}

fn alert_class(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Near => "near",
        AlertLevel::Full => "full",
    }
}

fn alert_text(alert: &Alert) -> Markup {
    match (&alert.subject, alert.level) {
        (AlertSubject::Occupancy, AlertLevel::Near) => html! { "Nearly full: over 90 % of capacity is inside." },
        (AlertSubject::Occupancy, AlertLevel::Full) => html! { "At capacity: the venue is full." },
        (AlertSubject::TicketType(name), AlertLevel::Near) => html! { (name) ": over 90 % sold." },
        (AlertSubject::TicketType(name), AlertLevel::Full) => html! { (name) ": sold out." },
        (AlertSubject::Zone(name), AlertLevel::Near) => html! { (name) ": nearly full, over 90 % of its capacity." },
        (AlertSubject::Zone(name), AlertLevel::Full) => html! { (name) ": full." },
    }
}
