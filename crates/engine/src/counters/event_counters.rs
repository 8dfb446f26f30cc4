//! One event's counters in memory: running totals and a per-second ring of the last
//! minute, for the event, each gate and each device.

use std::collections::HashMap;

use super::{add_many, CountedScan, EventCounts, Tally, WINDOW_SECONDS};
use crate::model::Movement;

/// Running totals and a per-second ring of the last minute.
pub struct Counter {
    pub tally: Tally,
    /// (unix second, scans in it), indexed by second % 60.
    pub seconds: [(i64, i64); WINDOW_SECONDS as usize],
}

impl Default for Counter {
    fn default() -> Self {
        Self {
            tally: Tally::default(),
            seconds: [(0, 0); WINDOW_SECONDS as usize],
        }
    }
}

impl Counter {
    pub fn add(&mut self, scan: &CountedScan) {
        add_many(&mut self.tally, scan.result, scan.direction, 1);
        self.add_to_window(scan.scanned_at.div_euclid(1000), 1);
    }

    pub fn add_to_window(&mut self, second: i64, scans: i64) {
        let slot = &mut self.seconds[second.rem_euclid(WINDOW_SECONDS) as usize];
        if slot.0 == second {
            slot.1 += scans;
        } else if slot.0 < second {
            *slot = (second, scans);
        }
    }

    pub fn snapshot(&self, now_ms: i64) -> Tally {
        let now = now_ms.div_euclid(1000);
        let per_minute = self
            .seconds
            .iter()
            .filter(|(s, _)| now - s < WINDOW_SECONDS && *s <= now)
            .map(|(_, n)| n)
            .sum();
        Tally {
            per_minute,
            ..self.tally.clone()
        }
    }
}

/// One event's counters.
#[derive(Default)]
pub struct EventCounters {
    pub totals: Counter,
    pub gates: HashMap<i64, Counter>,
    pub devices: HashMap<i64, Counter>,
    /// Tickets inside.
    pub occupancy: i64,
    /// Tickets in each zone.
    pub zones: HashMap<i64, i64>,
    /// Each zone's headcount correction.
    pub corrections: HashMap<i64, i64>,
}

impl EventCounters {
    pub fn snapshot(&self, now_ms: i64) -> EventCounts {
        EventCounts {
            totals: self.totals.snapshot(now_ms),
            gates: self.gates.iter().map(|(id, c)| (*id, c.snapshot(now_ms))).collect(),
            devices: self.devices.iter().map(|(id, c)| (*id, c.snapshot(now_ms))).collect(),
            occupancy: self.inside(),
            zones: shown_zones(&self.zones, &self.corrections),
        }
    }

    /// People inside: the tickets, and what headcounts corrected.
    pub fn inside(&self) -> i64 {
        self.occupancy + self.corrections.values().sum::<i64>()
    }

    /// A valid scan's move between zones.
    pub fn add_movement(&mut self, moved: &Movement) {
        self.occupancy += moved.inside;
        if let Some(from) = moved.from {
            *self.zones.entry(from).or_default() -= 1;
        }
        if let Some(to) = moved.to {
            *self.zones.entry(to).or_default() += 1;
        }
    }

    /// The event's, the gate's and the device's counter: each scan counts in all three.
    pub fn counters_for(&mut self, gate_id: i64, device_id: i64) -> [&mut Counter; 3] {
        [
            &mut self.totals,
            self.gates.entry(gate_id).or_default(),
            self.devices.entry(device_id).or_default(),
        ]
    }
}

/// Each zone's people: its tickets and its correction.
pub fn shown_zones(tickets: &HashMap<i64, i64>, corrections: &HashMap<i64, i64>) -> HashMap<i64, i64> {
    let mut shown = tickets.clone();
    for (zone, correction) in corrections {
        *shown.entry(*zone).or_default() += correction;
    }
    shown
}
