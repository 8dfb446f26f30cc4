//! An event's arrivals as plain data: valid entries and exits per minute and gate since
//! doors opened, the tickets never admitted per ticket type, and what the chart, the
//! caption and the gate rates make of them (plain maths, unit-tested).

use crate::events::Event;

pub const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
/// The chart's bar is 5 minutes, widened to the first of these that keeps the bars to
/// `MAX_BARS` (a long event's history stays one small chart).
const BAR_MINUTES: [i64; 7] = [5, 10, 15, 30, 60, 120, 240];
pub const MAX_BARS: i64 = 48;
/// Entries are looked for from this long before the start: earlier scans (tests of the
/// scanners the week before) do not open the doors.
pub const LOOK_BACK: i64 = 6 * HOUR;
/// Before anyone is let in, the doors count as open this long before the start.
pub const DOORS_BEFORE_START: i64 = HOUR;
/// The caption's "last 30 minutes".
const CAPTION_WINDOW: i64 = 30 * MINUTE;
/// "Now" for a gate's rate: the last 5 whole minutes.
pub const RATE_MINUTES: i64 = 5;

/// Valid scans of one gate in one minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinuteCount {
    /// Unix minute (milliseconds / 60,000).
    pub minute: i64,
    pub gate_id: i64,
    pub entries: i64,
    pub exits: i64,
}

/// Valid tickets of a ticket type, and how many of them were never let in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeAdmissions {
    pub name: String,
    pub valid: i64,
    pub never_admitted: i64,
}

/// Everything the arrivals section shows, at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrivals {
    pub now: i64,
    /// When doors opened: the first valid entry, or an hour before the start while no
    /// one has come in; None before that.
    pub doors_open: Option<i64>,
    /// Oldest first.
    pub minutes: Vec<MinuteCount>,
    /// (gate id, name), by name.
    pub gates: Vec<(i64, String)>,
    pub ticket_types: Vec<TypeAdmissions>,
    pub capacity: i64,
    pub inside: i64,
    /// Where the chart ends: now, or for an ended event its end (or last scan).
    pub until: i64,
    /// When the event ends: no forecast runs past it.
    pub ends_at: i64,
}

/// One bar of the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    pub start: i64,
    pub entries: i64,
    pub exits: i64,
}

/// Entries and exits per bar since doors opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Curve {
    pub bar_ms: i64,
    pub bars: Vec<Bar>,
}

/// A gate's entries per minute now and on average since doors opened, in tenths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateRate {
    pub name: String,
    pub now_tenths: i64,
    pub average_tenths: i64,
}

impl Arrivals {
    /// Arrivals of `event` at `now` from its per-minute counts (oldest first).
    pub fn new(event: &Event, now: i64, minutes: Vec<MinuteCount>) -> Self {
        let first_entry = minutes.iter().find(|m| m.entries > 0).map(|m| m.minute * MINUTE);
        let default_open = event.starts_at - DOORS_BEFORE_START;
        let doors_open = first_entry.or((now >= default_open).then_some(default_open));
        let ended = now > event.ends_at;
        let last_scan = minutes.last().map_or(0, |m| (m.minute + 1) * MINUTE);
        let until = if ended {
            event.ends_at.max(last_scan).min(now)
        } else {
            now
        };
        Self {
            now,
            doors_open,
            minutes,
            gates: Vec::new(),
            ticket_types: Vec::new(),
            capacity: event.capacity,
            inside: 0,
            until,
            ends_at: event.ends_at,
        }
    }

    /// Past the event's end: no forecast, the no-shows instead.
    pub fn ended(&self) -> bool {
        self.now > self.ends_at
    }

    pub fn valid_tickets(&self) -> i64 {
        self.ticket_types.iter().map(|t| t.valid).sum()
    }

    pub fn never_admitted(&self) -> i64 {
        self.ticket_types.iter().map(|t| t.never_admitted).sum()
    }

    /// The chart: bars aligned on the clock from doors open to `until`.
    pub fn curve(&self) -> Option<Curve> {
        let open = self.doors_open?;
        let span = (self.until - open).max(1);
        let bar_minutes = BAR_MINUTES
            .into_iter()
            .find(|m| (span + m * MINUTE - 1) / (m * MINUTE) <= MAX_BARS)
            .unwrap_or(BAR_MINUTES[BAR_MINUTES.len() - 1]);
        let bar_ms = bar_minutes * MINUTE;
        let first =
            (open.div_euclid(bar_ms) * bar_ms).max(self.until.div_euclid(bar_ms) * bar_ms - (MAX_BARS - 1) * bar_ms);
        let count = (self.until - 1).div_euclid(bar_ms) - first.div_euclid(bar_ms) + 1;
        let mut bars: Vec<Bar> = (0..count.max(1))
            .map(|i| Bar {
                start: first + i * bar_ms,
                entries: 0,
                exits: 0,
            })
            .collect();
        for m in &self.minutes {
            let index = (m.minute * MINUTE - first).div_euclid(bar_ms);
            if let Some(bar) = usize::try_from(index).ok().and_then(|i| bars.get_mut(i)) {
                bar.entries += m.entries;
                bar.exits += m.exits;
            }
        }
        Some(Curve { bar_ms, bars })
    }

    /// Entries and exits in the caption's window: the last 30 minutes while live, since
    /// doors opened once the event has ended.
    pub fn recent_totals(&self) -> (i64, i64) {
        let from = if self.ended() {
            i64::MIN
        } else {
            self.now - CAPTION_WINDOW
        };
        self.minutes
            .iter()
            .filter(|m| (m.minute + 1) * MINUTE > from)
            .fold((0, 0), |(i, o), m| (i + m.entries, o + m.exits))
    }

    /// Entries of every gate in each of the last `n` whole minutes before now, oldest
    /// first (fewer when doors opened more recently).
    pub fn entries_per_minute(&self, n: i64) -> Vec<i64> {
        let now_minute = self.now.div_euclid(MINUTE);
        let opened = self.doors_open.map_or(now_minute, |at| at.div_euclid(MINUTE));
        let first = (now_minute - n).max(opened);
        (first..now_minute)
            .map(|minute| {
                self.minutes
                    .iter()
                    .filter(|m| m.minute == minute)
                    .map(|m| m.entries)
                    .sum()
            })
            .collect()
    }

    /// Whole minutes since doors opened (until the chart's end).
    pub fn minutes_open(&self) -> i64 {
        self.doors_open.map_or(0, |at| (self.until - at).div_euclid(MINUTE))
    }

    /// Each gate's entries per minute in the last 5 whole minutes and since doors opened.
    pub fn gate_rates(&self) -> Vec<GateRate> {
        let now_minute = self.now.div_euclid(MINUTE);
        let open_minutes = self.minutes_open().max(1);
        self.gates
            .iter()
            .map(|(id, name)| {
                let at_gate = || self.minutes.iter().filter(move |m| m.gate_id == *id);
                let recent: i64 = at_gate()
                    .filter(|m| m.minute >= now_minute - RATE_MINUTES && m.minute < now_minute)
                    .map(|m| m.entries)
                    .sum();
                let total: i64 = at_gate().map(|m| m.entries).sum();
                GateRate {
                    name: name.clone(),
                    now_tenths: recent * 10 / RATE_MINUTES,
                    average_tenths: total * 10 / open_minutes,
                }
            })
            .collect()
    }
}

/// The busiest bar by entries (the earliest of equals), if anyone came in.
pub fn busiest(curve: &Curve) -> Option<Bar> {
    curve
        .bars
        .iter()
        .copied()
        .filter(|b| b.entries > 0)
        .fold(None, |best: Option<Bar>, bar| match best {
            Some(b) if b.entries >= bar.entries => Some(b),
            _ => Some(bar),
        })
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
