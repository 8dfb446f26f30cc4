//! One event's counters in memory: running totals and a per-second ring of the last
//! minute, for the event, each gate and each device.

use std::collections::HashMap;

use super::{add_many, CountedScan, EventCounts, Tally, WINDOW_SECONDS};

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
    pub occupancy: i64,
}

impl EventCounters {
    pub fn snapshot(&self, now_ms: i64) -> EventCounts {
        EventCounts {
            totals: self.totals.snapshot(now_ms),
            gates: self.gates.iter().map(|(id, c)| (*id, c.snapshot(now_ms))).collect(),
            devices: self.devices.iter().map(|(id, c)| (*id, c.snapshot(now_ms))).collect(),
            occupancy: self.occupancy,
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
