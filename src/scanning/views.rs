//! The scan monitor: totals and the newest scans, pushed whole on every update.

use maud::{html, Markup};

use super::queries::{ScanLine, ScanTotals};
use crate::events::queries::Event;
use crate::ui::components::{badge, group_thousands, local_time};
use crate::ui::layout::{self, Viewer};

/// The SSE event name the scan panel is pushed under.
pub const SCANS_SSE_EVENT: &str = "scans";

pub fn scan_monitor_page(
    viewer: &Viewer,
    event: &Event,
    totals: &ScanTotals,
    lines: &[ScanLine],
) -> Markup {
    layout::page(
        &format!("Scans · {}", event.name),
        Some(viewer),
        html! {
            h1 { "Scan monitor" }
            p.muted { a href={ "/events/" (event.id) } { (event.name) } " · " (event.venue) }
            div hx-ext="sse" sse-connect={ "/sse/events/" (event.id) "/scans" } {
                section id="scan-panel" aria-labelledby="scan-totals-heading" sse-swap=(SCANS_SSE_EVENT) {
                    (scan_panel(event, totals, lines))
                }
            }
        },
    )
}

pub fn scan_panel(event: &Event, totals: &ScanTotals, lines: &[ScanLine]) -> Markup {
    let n = |v: i64| group_thousands(v.max(0).unsigned_abs());
    html! {
        h2 id="scan-totals-heading" { "Scans so far" }
        div.cards {
            div.card { span.value data-metric="valid" { (n(totals.valid)) } span.label { "valid" } }
            div.card { span.value data-metric="duplicate" { (n(totals.duplicate)) } span.label { "duplicate" } }
            div.card { span.value data-metric="invalid" { (n(totals.invalid)) } span.label { "invalid" } }
        }
        h2 { "Latest scans" }
        @if lines.is_empty() {
            p.muted { "No scans yet." }
        } @else {
            div.table-scroll {
                table {
                    thead { tr { th scope="col" { "Time" } th scope="col" { "Gate" } th scope="col" { "Result" } } }
                    tbody {
                        @for line in lines {
                            tr {
                                td.time { (local_time(line.scanned_at, &event.timezone, "%H:%M:%S")) }
                                td { (line.gate) small { (line.device) } }
                                td {
                                    (badge(&line.result, &line.result))
                                    @if line.direction == "out" { " exit" }
                                    @if let Some(reason) = &line.reason { " " span.muted { (reason) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
