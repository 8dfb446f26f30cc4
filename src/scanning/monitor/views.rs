//! The scan monitor: capacity warning, gate cards, device table and the live scan log.
//! The same functions render the first load and every pushed update.

use chrono_tz::Tz;
use maud::{html, Markup};

use super::entry_policy::{policy_form, policy_line};
use crate::events::{EntryPolicy, Event};
use crate::paths;
use crate::scanning::alerts::{acknowledge_form, alert_list, AlertsView, ALERTS_SSE_EVENT};
use crate::scanning::arrivals::{arrivals_section, Pushed, Shown as ArrivalsShown};
use crate::scanning::counters::{EventCounts, Tally};
use crate::scanning::feed::LogFilter;
use crate::scanning::model::DeviceStatus;
use crate::scanning::model::{Direction, ScanResult};
use crate::scanning::queries::{DeviceRow, Gate, ScanLine};
use crate::ui::components::{badge, count, local_time, occupancy_warning, panel_unavailable};
use crate::ui::layout::{self, Viewer};

/// SSE event names the monitor listens for.
pub const PANEL_SSE_EVENT: &str = "scan-panel";
pub const LOG_SSE_EVENT: &str = "scan-log";
pub const LINE_SSE_EVENT: &str = "scan-line";
/// Rows the scan log keeps in the page.
pub const LOG_ROWS: i64 = 100;

/// Everything the counters panel shows.
pub struct Panel<'a> {
    pub event: &'a Event,
    /// As read for this render (not the event's as loaded with the page).
    pub policy: EntryPolicy,
    pub counts: &'a EventCounts,
    pub gates: &'a [Gate],
    pub devices: &'a [DeviceRow],
    pub now: i64,
}

/// Everything the monitor page shows on its first load; a panel that could not be
/// read (None) says so, and the stream fills it in.
pub struct MonitorPage<'a> {
    pub event: &'a Event,
    pub panel: Option<Panel<'a>>,
    pub filter: &'a LogFilter,
    pub lines: Option<&'a [ScanLine]>,
    pub arrivals: ArrivalsShown<'a>,
    pub stream_url: &'a str,
    /// What this viewer may open or change from the monitor.
    pub may: MonitorRights,
    /// The open alerts, and whether this viewer may acknowledge them.
    pub alerts: Option<AlertsView<'a>>,
    pub can_acknowledge: bool,
}

/// The links and forms the monitor offers, by the viewer's role.
pub struct MonitorRights {
    pub manage_kiosks: bool,
    pub set_entry_policy: bool,
    /// The door lookup (supervisors, stewards, owners).
    pub look_up: bool,
    /// The event's dashboard (not stewards: it shows revenue).
    pub see_dashboard: bool,
}

pub fn scan_monitor_page(viewer: &Viewer, page: &MonitorPage) -> Markup {
    let (panel, event) = (page.panel.as_ref(), page.event);
    // The filter lists what the panel read; without it, only "all".
    let (gates, devices) = panel.map_or((&[][..], &[][..]), |panel| (panel.gates, panel.devices));
    let policy = panel.map_or(event.entry_policy, |panel| panel.policy);
    layout::page(
        &format!("Scans · {}", event.name),
        Some(viewer),
        html! {
            h1 { "Scan monitor" }
            p.muted {
                @if page.may.see_dashboard { a href=(paths::event_dashboard(event.id)) { (event.name) } } @else { (event.name) }
                " · " (event.venue)
                @if page.may.look_up { " · " a href=(paths::door_lookup(event.id)) { "Door lookup" } }
                @if page.may.manage_kiosks { " · " a href=(paths::kiosk_links(event.id)) { "Kiosk links" } }
            }
            @if page.may.set_entry_policy { (policy_form(viewer, event.id, policy)) }
            div hx-ext="sse" sse-connect=(page.stream_url) {
                p.connection data-connection role="status" { "Connecting…" }
                p.connection data-live-status sse-swap="live-status" role="status" {}
                (alerts_section(page, viewer))
                section id="scan-panel" aria-label="Gates and devices" sse-swap=(PANEL_SSE_EVENT) {
                    (panel.map_or_else(panel_unavailable, scan_panel))
                }
                (arrivals_section(page.arrivals, &event.timezone, Pushed::Own))
                section aria-labelledby="scan-log-heading" {
                    h2 id="scan-log-heading" { "Scan log" }
                    (filter_form(event.id, gates, devices, page.filter))
                    div id="scan-log-table" sse-swap=(LOG_SSE_EVENT) {
                        @match page.lines {
                            Some(lines) => (scan_log_table(lines, &event.timezone)),
                            None => (panel_unavailable()),
                        }
                    }
                }
            }
        },
    )
}

/// The open alerts: a polite live region; a new alert inside it is announced once.
fn alerts_section(page: &MonitorPage, viewer: &Viewer) -> Markup {
    html! {
        section aria-labelledby="alerts-heading" {
            h2 id="alerts-heading" { "Alerts" }
            @if page.can_acknowledge { (acknowledge_form(viewer.csrf_token)) }
            div id="gate-alerts" aria-live="polite" sse-swap=(ALERTS_SSE_EVENT) {
                (page.alerts.as_ref().map_or_else(panel_unavailable, alert_list))
            }
        }
    }
}

/// Occupancy, gate cards and the device table: pushed whole, coalesced.
pub fn scan_panel(panel: &Panel) -> Markup {
    let counts = panel.counts;
    html! {
        (occupancy_warning(counts.occupancy, panel.event.capacity))
        (policy_line(panel.policy))
        div.cards {
            (metric_card("occupancy", counts.occupancy, &format!("inside of {}", count(panel.event.capacity))))
            (metric_card("per-minute", counts.totals.per_minute, "scans in the last minute"))
            (metric_card("valid", counts.totals.valid, "admitted"))
            (metric_card("duplicate", counts.totals.duplicate, "duplicate"))
            (metric_card("invalid", counts.totals.invalid, "invalid"))
            (metric_card("exits", counts.totals.exits, "exits"))
        }
        h2 { "Gates" }
        @if panel.gates.is_empty() { p.muted { "No gates yet." } }
        div.cards {
            @for gate in panel.gates {
                (gate_card(gate, counts.gates.get(&gate.id), panel.devices, panel.now))
            }
        }
        h2 { "Devices" }
        (device_table(panel))
    }
}

fn metric_card(metric: &str, value: i64, label: &str) -> Markup {
    html! {
        div.card { span.value data-metric=(metric) { (count(value)) } span.label { (label) } }
    }
}

fn gate_card(gate: &Gate, tally: Option<&Tally>, devices: &[DeviceRow], now: i64) -> Markup {
    let empty = Tally::default();
    let tally = tally.unwrap_or(&empty);
    let at_gate: Vec<&DeviceRow> = devices.iter().filter(|d| d.gate_id == gate.id).collect();
    let online = at_gate
        .iter()
        .filter(|d| DeviceStatus::of(d.last_seen, now).is_online())
        .count();
    html! {
        article.card data-gate=(gate.name) {
            h3.gate-name { (gate.name) }
            span.value { (count(tally.per_minute)) } span.label { " scans/min" }
            dl.tally {
                dt { "Valid" } dd { (count(tally.valid)) }
                dt { "Duplicate" } dd { (count(tally.duplicate)) }
                dt { "Invalid" } dd { (count(tally.invalid)) }
                dt { "Exits" } dd { (count(tally.exits)) }
                dt { "Devices" } dd { (online) " of " (at_gate.len()) " online" }
            }
        }
    }
}

fn device_table(panel: &Panel) -> Markup {
    let gate_name = |id: i64| panel.gates.iter().find(|g| g.id == id).map_or("", |g| g.name.as_str());
    html! {
        @if panel.devices.is_empty() { p.muted { "No scanning devices yet." } }
        @else {
            div.table-scroll role="region" aria-label="Scanning devices" tabindex="0" {
                table.devices {
                    thead { tr {
                        th scope="col" { "Device" } th scope="col" { "Status" } th scope="col" { "Battery" }
                        th scope="col" class="num" { "Waiting" } th scope="col" class="num" { "Scans" }
                    } }
                    tbody {
                        @for device in panel.devices {
                            @let scans = panel.counts.devices.get(&device.id).map_or(0, |t| t.valid + t.duplicate + t.invalid + t.exits);
                            tr {
                                td { (device.name) small { (gate_name(device.gate_id)) } }
                                td { (device_status(device, panel.event, panel.now)) }
                                td { @match device.battery { Some(b) => { (b) " %" }, None => span.muted { "unknown" } } }
                                td.num title="scans waiting to upload, as last reported" {
                                    @match device.pending_uploads { Some(p) => (p), None => "–" }
                                }
                                td.num { (count(scans)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn device_status(device: &DeviceRow, event: &Event, now: i64) -> Markup {
    match DeviceStatus::of(device.last_seen, now) {
        DeviceStatus::Online { seen } => html! {
            (badge("valid", "online")) small { "seen " (local_time(seen, &event.timezone, "%H:%M:%S")) }
        },
        DeviceStatus::Offline { since } => html! {
            (badge("invalid", "offline")) small { "since " (local_time(since, &event.timezone, "%H:%M")) }
        },
        DeviceStatus::NeverSeen => html! { (badge("ended", "never seen")) },
    }
}

fn filter_form(event_id: i64, gates: &[Gate], devices: &[DeviceRow], filter: &LogFilter) -> Markup {
    html! {
        form.filters method="get" action=(paths::scan_monitor(event_id)) {
            label { "Gate"
                select name="gate" {
                    option value="" { "All gates" }
                    @for gate in gates { option value=(gate.id) selected[filter.gate_id == Some(gate.id)] { (gate.name) } }
                }
            }
            label { "Device"
                select name="device" {
                    option value="" { "All devices" }
                    @for device in devices { option value=(device.id) selected[filter.device_id == Some(device.id)] { (device.name) } }
                }
            }
            label { "Result"
                select name="result" {
                    option value="" { "All results" }
                    @for result in ScanResult::ALL {
                        option value=(result.as_str()) selected[filter.result == Some(result)] { (result.as_str()) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
    }
}

/// The log table; new rows arrive as `scan-line` messages and go on top.
pub fn scan_log_table(lines: &[ScanLine], timezone: &Tz) -> Markup {
    html! {
        div.table-scroll role="region" aria-label="Scan log" tabindex="0" {
            table.scan-log {
                thead { tr { th scope="col" { "Time" } th scope="col" { "Gate" } th scope="col" { "Result" } } }
                tbody id="scan-log" sse-swap=(LINE_SSE_EVENT) hx-swap="afterbegin" data-keep-rows=(LOG_ROWS) {
                    @for line in lines { (scan_row(line, timezone)) }
                }
            }
        }
        @if lines.is_empty() { p.muted.empty-log { "No scans yet." } }
    }
}

pub fn scan_row(line: &ScanLine, timezone: &Tz) -> Markup {
    html! {
        tr data-scan-id=(line.id) {
            td.time { (local_time(line.scanned_at, timezone, "%H:%M:%S")) }
            td { (line.gate) small { (line.device) } }
            td {
                (badge(line.result.as_str(), line.result.as_str()))
                @if line.direction == Direction::Out { " exit" }
                @if let Some(reason) = &line.reason { small { (reason) } }
            }
        }
    }
}
