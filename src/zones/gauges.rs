//! The zones' gauges the live screens show (dashboard, scan monitor, kiosk, events
//! overview): each zone's people from the live counters, its capacity, and its last
//! headcount's mark (from `ZoneDirectory`, or read with the dashboard's metrics). A zone
//! at 90 % says "Nearly full", at 100 % "Full", in words beside the meter.

use std::collections::HashMap;

use maud::{html, Markup};

use super::model::{CorrectionMark, EventZones, ZoneGauge};
use crate::domain::TimeZone;
use crate::ui::components::count;

/// An event's zones as a screen shows them; empty for an event without zones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneBoard {
    pub gauges: Vec<ZoneGauge>,
    /// People inside in no zone (through gates that name none).
    pub unzoned: i64,
}

/// The gauges of an event's zones with the counters' numbers.
pub fn board_of(zones: &EventZones, people: &HashMap<i64, i64>, inside: i64) -> ZoneBoard {
    let gauges: Vec<ZoneGauge> = zones
        .zones
        .iter()
        .map(|zone| ZoneGauge {
            id: zone.id,
            people: people.get(&zone.id).copied().unwrap_or_default(),
            mark: zones.marks.get(&zone.id).cloned(),
            name: zone.name.clone(),
            capacity: zone.capacity,
        })
        .collect();
    let unzoned = match gauges.is_empty() {
        true => 0,
        false => inside - gauges.iter().map(|gauge| gauge.people).sum::<i64>(),
    };
    ZoneBoard { gauges, unzoned }
}

/// "Nearly full" from 90 %, "Full" at capacity.
pub fn alert_level(gauge: &ZoneGauge) -> Option<&'static str> {
    match gauge.percent() {
        p if p >= 100 => Some("Full"),
        p if p >= 90 => Some("Nearly full"),
        _ => None,
    }
}

/// The gauges: a list of zones, each with its number and a meter (the number says in
/// text what the meter shows), its alert and its headcount mark.
pub fn zone_gauges(board: &ZoneBoard, zone: &TimeZone) -> Markup {
    if board.gauges.is_empty() {
        return html! {};
    }
    html! {
        ul.zones aria-label="People per zone" {
            @for gauge in &board.gauges { (zone_item(gauge, zone, false)) }
            (unzoned_item(board, false))
        }
    }
}

/// One zone's gauge (`oob`: as a pushed fragment that replaces the one shown).
pub fn zone_item(gauge: &ZoneGauge, zone: &TimeZone, oob: bool) -> Markup {
    html! {
        li id={ "zone-" (gauge.id) } hx-swap-oob=[oob.then_some("true")] {
            b { (gauge.name) } " "
            meter max=(gauge.capacity) high=(gauge.capacity * 9 / 10) value=(gauge.people.max(0)) aria-hidden="true" {}
            " " (count(gauge.people)) " of " (count(gauge.capacity))
            @if let Some(level) = alert_level(gauge) { " " strong { (level) } }
            @if let Some(mark) = &gauge.mark { " " small { (mark_text(mark, zone)) } }
        }
    }
}

/// Those inside in no zone (hidden while there are none, so a push can show it).
pub fn unzoned_item(board: &ZoneBoard, oob: bool) -> Markup {
    html! {
        li id="zone-none" hidden[board.unzoned == 0] hx-swap-oob=[oob.then_some("true")] {
            b { "In no zone" } " " (count(board.unzoned))
        }
    }
}

/// The gauges in a section of their own (none for an event without zones), with a
/// link to the zones page (`link`: its path).
pub fn zones_section(board: &ZoneBoard, zone: &TimeZone, link: &str) -> Markup {
    if board.gauges.is_empty() {
        return html! {};
    }
    html! {
        section.panel aria-labelledby="zones-heading" {
            h2 #zones-heading { "Zones" }
            (zone_gauges(board, zone))
            p { a.touch href=(link) { "Zones and headcounts" } }
        }
    }
}

/// Each gauge as a pushed part of its own, so a client is sent the ones that moved.
pub fn pushed_gauges(board: &ZoneBoard, zone: &TimeZone) -> Vec<String> {
    if board.gauges.is_empty() {
        return Vec::new();
    }
    let mut parts: Vec<String> = board
        .gauges
        .iter()
        .map(|g| zone_item(g, zone, true).into_string())
        .collect();
    parts.push(unzoned_item(board, true).into_string());
    parts
}

/// "corrected at 21:14 by Sam (−37)", in the event's time zone.
fn mark_text(mark: &CorrectionMark, zone: &TimeZone) -> String {
    let at = chrono::DateTime::from_timestamp_millis(mark.at)
        .map(|utc| utc.with_timezone(&**zone).format("%H:%M").to_string())
        .unwrap_or_default();
    format!("corrected at {at} by {} ({})", mark.by, signed(mark.drift))
}

/// −37 / +12, with a true minus sign.
fn signed(n: i64) -> String {
    match n {
        n if n < 0 => format!("−{}", count(-n)),
        n => format!("+{}", count(n)),
    }
}
