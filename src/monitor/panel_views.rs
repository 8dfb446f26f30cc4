//! The monitor's live panel: the counts that answer "how many are in, how fast" at the
//! top, each gate's state, the entry rule in force and the device table further down.
//! One push carries them all: the counts swap into `#scan-panel`, the other parts into
//! their own containers out of band, so a disclosure around the device table stays open.

use std::collections::HashMap;

use maud::{html, Markup};

use super::entry_rule::policy_line;
use crate::events::{EntryPolicy, Event};
use crate::paths;
use crate::scanning::DeviceStatus;
use crate::scanning::{DeviceRow, Gate};
use crate::scanning::{EventCounts, Tally};
use crate::ui::components::{badge, count, local_time, occupancy_warning, panel_unavailable};
use crate::zones::{zone_gauges, ZoneBoard};

/// Everything the counters panel shows.
pub struct Panel<'a> {
    pub event: &'a Event,
    /// As read for this render (not the event's as loaded with the page).
    pub policy: EntryPolicy,
    pub counts: &'a EventCounts,
    pub gates: &'a [Gate],
    pub devices: &'a [DeviceRow],
    pub zones: &'a ZoneBoard,
    /// Each zoned gate's passage in words, by gate id.
    pub passages: &'a HashMap<i64, String>,
    pub now: i64,
}

/// The panel's containers in page order: (id, inside).
pub fn panel_parts(panel: Option<&Panel>) -> [(&'static str, Markup); 4] {
    match panel {
        Some(panel) => [
            ("scan-panel", counts(panel)),
            ("gate-states", gate_states(panel)),
            ("entry-rule", policy_line(panel.policy)),
            ("device-table", device_table(panel)),
        ],
        None => [
            ("scan-panel", panel_unavailable()),
            ("gate-states", panel_unavailable()),
            ("entry-rule", html! {}),
            ("device-table", panel_unavailable()),
        ],
    }
}

/// One pushed update: each part an out-of-band swap of its container, sent as its own
/// message, so a client gets only the parts that changed (mostly the counts).
pub fn scan_panel_parts(panel: Option<&Panel>) -> Vec<String> {
    panel_parts(panel)
        .into_iter()
        .map(|(id, inside)| html! { div id=(id) hx-swap-oob="innerHTML" { (inside) } }.into_string())
        .collect()
}

/// Inside against capacity and scans per minute first (the supervisor's question), then
/// the day's results in one line.
fn counts(panel: &Panel) -> Markup {
    let (counts, capacity) = (panel.counts, panel.event.capacity);
    html! {
        (occupancy_warning(counts.occupancy, capacity))
        div.cards.headline {
            div.card { span.value data-metric="occupancy" { (count(counts.occupancy)) } span.label { "inside of " (count(capacity)) } }
            div.card { span.value data-metric="per-minute" { (count(counts.totals.per_minute)) } span.label { "scans a minute" } }
        }
        (zone_gauges(panel.zones, &panel.event.timezone))
        @if !panel.zones.gauges.is_empty() { p { a.touch href=(paths::zones(panel.event.id)) { "Zones and headcounts" } } }
        (tally_line(&counts.totals, TallyOf::Event))
    }
}

/// Whose results a tally line shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TallyOf {
    /// The event's: in full words, each number tagged (`data-metric`) for tools.
    Event,
    /// A gate's: in short words, to fit one line on a phone.
    Gate,
}

/// "Admitted 1,204 · Duplicate 3 · Invalid 9 · Exits 40".
fn tally_line(tally: &Tally, of: TallyOf) -> Markup {
    let (class, labels) = match of {
        TallyOf::Event => ("totals", ["Admitted", "Duplicate", "Invalid", "Exits"]),
        TallyOf::Gate => ("gate", ["valid", "dup.", "invalid", "exits"]),
    };
    let metrics = ["valid", "duplicate", "invalid", "exits"];
    let values = [tally.valid, tally.duplicate, tally.invalid, tally.exits];
    html! {
        dl class={ "tally-line " (class) } {
            @for ((metric, label), value) in metrics.into_iter().zip(labels).zip(values) {
                div { dt { (label) } dd data-metric=[(of == TallyOf::Event).then_some(metric)] { (count(value)) } }
            }
        }
    }
}

/// A line per gate: its rate, its devices online, and its results beneath.
fn gate_states(panel: &Panel) -> Markup {
    let empty = Tally::default();
    html! {
        @if panel.gates.is_empty() { p.muted { "No gates yet." } }
        ul.gate-states {
            @for gate in panel.gates {
                @let tally = panel.counts.gates.get(&gate.id).unwrap_or(&empty);
                @let (online, at_gate) = devices_online(panel, gate.id);
                li data-gate=(gate.name) {
                    strong.gate-name { (gate.name) }
                    @if let Some(passage) = panel.passages.get(&gate.id) { span.passage { (passage) } }
                    span.rate { strong { (count(tally.per_minute)) } " scans/min" }
                    @if at_gate > 0 && online == 0 { (badge("invalid", "no device online")) " " }
                    span.devices { (online) " of " (at_gate) " online" }
                    (tally_line(tally, TallyOf::Gate))
                }
            }
        }
    }
}

fn devices_online(panel: &Panel, gate_id: i64) -> (usize, usize) {
    let at_gate = panel.devices.iter().filter(|d| d.gate_id == gate_id);
    let online = at_gate
        .clone()
        .filter(|d| DeviceStatus::of(d.last_seen, panel.now).is_online());
    (online.count(), at_gate.count())
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
