//! The scan monitor's page: the live panel (`panel_views.rs`), alerts, arrivals, the
//! live scan log and the entry rule. The same functions render the first load and every
//! pushed update.

use chrono_tz::Tz;
use maud::{html, Markup};

use super::device_forms::manage_devices;
use super::entry_rule::policy_form;
use super::panel_views::{panel_parts, Panel};
use crate::arrivals::{arrivals_section, Pushed, Shown as ArrivalsShown};
use crate::events::Event;
use crate::gate_alerts::{acknowledge_form, alert_list, AlertsView, ALERTS_SSE_EVENT};
use crate::paths;
use crate::scanning::LogFilter;
use crate::scanning::{DeviceRow, Gate, ScanLine};
use crate::scanning::{Direction, ScanResult};
use crate::ui::components::{badge, event_links, local_time, panel_unavailable};
use crate::ui::layout::{self, Viewer};

/// SSE event names the monitor listens for.
pub const PANEL_SSE_EVENT: &str = "scan-panel";
pub const LOG_SSE_EVENT: &str = "scan-log";
pub const LINE_SSE_EVENT: &str = "scan-line";
/// Rows the scan log keeps in the page.
pub const LOG_ROWS: i64 = 100;

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
    /// Pair a phone as a gate device, revoke a device.
    pub manage_devices: bool,
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
    let [counts, gate_states, entry_rule, device_table] = panel_parts(panel);
    let container = |(id, inside): (&str, Markup)| html! { div id=(id) { (inside) } };
    layout::page(
        &format!("Scans · {}", event.name),
        Some(viewer),
        html! {
            h1 { "Scan monitor " span.muted { "· " (event.name) } }
            (other_screens(event.id, &page.may))
            // First what a supervisor asks (inside, rate, alerts, gates); settings and
            // history behind disclosures.
            div hx-ext="sse" sse-connect=(page.stream_url) {
                p.connection data-connection role="status" { "Connecting…" }
                p.connection data-live-status sse-swap="live-status" role="status" {}
                // The panel's pushes are out-of-band parts, each for its own container.
                div hidden sse-swap=(PANEL_SSE_EVENT) hx-swap="none" {}
                section id=(counts.0) aria-label="Inside and scans" { (counts.1) }
                (alerts_section(page, viewer))
                section aria-labelledby="gates-heading" {
                    div.section-head {
                        h2 id="gates-heading" { "Gates" }
                        @if page.may.set_entry_policy {
                            details.entry-rule-disclosure {
                                summary { "Change the entry rule" }
                                (policy_form(viewer, event.id, policy))
                            }
                        }
                    }
                    (container(gate_states))
                    (container(entry_rule))
                }
                (arrivals_section(page.arrivals, &event.timezone, Pushed::Own))
                (log_section(page, gates, devices))
                details.devices-disclosure {
                    summary { "Devices" }
                    (container(device_table))
                }
                @if page.may.manage_devices && panel.is_some() { (manage_devices(viewer, event.id, gates, devices)) }
            }
        },
    )
}

/// The event's other screens this viewer may open.
fn other_screens(event_id: i64, may: &MonitorRights) -> Markup {
    let links = [
        (may.see_dashboard, "Dashboard", paths::event_dashboard(event_id)),
        (may.look_up, "Door lookup", paths::door_lookup(event_id)),
        (may.manage_kiosks, "Kiosk links", paths::kiosk_links(event_id)),
    ];
    let allowed: Vec<(&str, String)> = links
        .into_iter()
        .filter(|l| l.0)
        .map(|(_, label, href)| (label, href))
        .collect();
    event_links(&allowed)
}

/// The live log: the newest 20 rows show; the rest of the kept rows open on demand (CSS
/// `:has`, no script). The filter sits in its own disclosure, open while one is set.
fn log_section(page: &MonitorPage, gates: &[Gate], devices: &[DeviceRow]) -> Markup {
    let filter = page.filter;
    let filtered = filter.gate_id.is_some() || filter.device_id.is_some() || filter.result.is_some();
    html! {
        section.scan-log-section aria-labelledby="scan-log-heading" {
            div.section-head {
                h2 id="scan-log-heading" { "Scan log" }
                details.log-filter open[filtered] {
                    summary { "Filter the log" }
                    (filter_form(page.event.id, gates, devices, filter))
                }
            }
            div id="scan-log-table" sse-swap=(LOG_SSE_EVENT) {
                @match page.lines {
                    Some(lines) => (scan_log_table(lines, &page.event.timezone)),
                    None => (panel_unavailable()),
                }
            }
            details.older-scans { summary { "Show up to " (LOG_ROWS) " scans" } }
        }
    }
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
    let rows = html! { @for line in lines { (scan_row(line, timezone)) } };
    log_table(&rows, lines.is_empty())
}

/// The log table around rows already drawn (newest first); `empty` says so in words.
pub fn log_table(rows: &Markup, empty: bool) -> Markup {
    html! {
        div.table-scroll role="region" aria-label="Scan log" tabindex="0" {
            table.scan-log {
                thead { tr { th scope="col" { "Time" } th scope="col" { "Gate" } th scope="col" { "Result" } } }
                tbody id="scan-log" sse-swap=(LINE_SSE_EVENT) hx-swap="afterbegin" data-keep-rows=(LOG_ROWS) {
                    (rows)
                }
            }
        }
        @if empty { p.muted.empty-log { "No scans yet." } }
    }
}

/// A scan-log row as the engine's feed carries it: drawn once, sent to every monitor.
pub fn draw_log_row(line: &ScanLine, timezone: &Tz) -> String {
    scan_row(line, timezone).into_string()
}

pub fn scan_row(line: &ScanLine, timezone: &Tz) -> Markup {
    html! {
        tr data-scan-id=(line.id) {
            td.time { (local_time(line.scanned_at, timezone, "%H:%M:%S")) }
            td { (line.gate) small.device { (line.device) } }
            td {
                (badge(line.result.as_str(), line.result.as_str()))
                @if line.direction == Direction::Out { " exit" }
                @if let Some(reason) = &line.reason { small { (reason) } }
            }
        }
    }
}
