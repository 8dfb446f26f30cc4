//! The arrival forecast: when, at the current rate, everyone with a ticket is in (or the
//! venue is full), with a range from how the rate moved over the last 15 minutes. A pure
//! function of the arrival curve, unit-tested on fixed curves.
//!
//! The method: the current rate is the entries per minute over the last 5 whole minutes.
//! The last 15 whole minutes are cut into three 5-minute windows; the range runs from
//! the fastest of them (and the current rate plus one standard deviation of the 15
//! per-minute counts) to the slowest (and the current rate minus it). When the current
//! rate is under half the oldest window's, arrivals have slowed: the forecast says so
//! and gives no latest time, since a tail only gets slower. Under 5 minutes since doors
//! opened or under 20 entries in the last 15 minutes there is not enough data yet.
//!
//! A forecast never names a time after the event's end: when the current rate does not
//! get everyone in (or fill the venue) before it, it says how many people (or places)
//! are short at the end instead; when the range is wider than the time left, it is too
//! early to say; a range's latest time is at most the end.

use super::model::MINUTE;

/// Minutes of history the forecast looks at, and the current rate's window.
pub const WINDOW_MINUTES: i64 = 15;
const RATE_MINUTES: usize = 5;
/// Fewer entries than this in the last 15 minutes: not enough data.
pub const MIN_ENTRIES: i64 = 20;

/// What the forecast is made from.
#[derive(Clone, Debug)]
pub struct ForecastInput<'a> {
    /// Entries of every gate in each of the last (up to 15) whole minutes, oldest first.
    pub per_minute: &'a [i64],
    /// Whole minutes since doors opened.
    pub minutes_open: i64,
    /// Valid tickets never let in.
    pub remaining: i64,
    /// Places left inside: capacity minus occupancy.
    pub headroom: i64,
    pub now: i64,
    /// When the event ends.
    pub ends_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every valid ticket has been let in.
    EveryoneIn,
    /// The venue is full.
    Capacity,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Forecast {
    /// The first minutes, or too few scans.
    NotEnoughData,
    /// No valid ticket is left to come in.
    AllIn,
    /// Occupancy is at capacity already.
    Full,
    /// No one came in during the last 5 minutes.
    Stalled,
    /// The current rate does not reach the target before the event ends: `short` people
    /// (or places) are still out (or free) then.
    NotBeforeTheEnd { target: Target, rate: f64, short: i64 },
    /// The range is wider than the time left.
    TooEarlyToSay { rate: f64 },
    Reached {
        target: Target,
        /// Entries per minute now.
        rate: f64,
        at: i64,
        earliest: i64,
        /// None when arrivals have slowed: a tail only gets slower.
        latest: Option<i64>,
        slowing: bool,
    },
}

pub fn forecast(input: &ForecastInput) -> Forecast {
    if input.remaining <= 0 {
        return Forecast::AllIn;
    }
    if input.headroom <= 0 {
        return Forecast::Full;
    }
    let minutes = input.per_minute;
    let seen: i64 = minutes.iter().sum();
    if input.minutes_open < RATE_MINUTES as i64 || minutes.len() < RATE_MINUTES || seen < MIN_ENTRIES {
        return Forecast::NotEnoughData;
    }
    let windows: Vec<f64> = minutes
        .rchunks(RATE_MINUTES)
        .filter(|w| w.len() == RATE_MINUTES)
        .map(mean)
        .collect();
    let rate = windows[0];
    if rate <= 0.0 {
        return Forecast::Stalled;
    }
    let spread = standard_deviation(minutes);
    let fastest = windows.iter().copied().fold(rate + spread, f64::max);
    let slowest = windows.iter().copied().fold((rate - spread).max(0.0), f64::min);
    let oldest = windows[windows.len() - 1];
    let slowing = rate < oldest / 2.0;
    let (target, people) = if input.headroom < input.remaining {
        (Target::Capacity, input.headroom)
    } else {
        (Target::EveryoneIn, input.remaining)
    };
    let after = |per_minute: f64| input.now + (people as f64 / per_minute * MINUTE as f64).round() as i64;
    let (at, earliest) = (after(rate), after(fastest));
    let latest = (!slowing && slowest > 0.0).then(|| after(slowest));
    let time_left = (input.ends_at - input.now).max(0);
    if at > input.ends_at {
        let reached_by_the_end = (rate * time_left as f64 / MINUTE as f64).floor() as i64;
        let short = (people - reached_by_the_end).max(1);
        return Forecast::NotBeforeTheEnd { target, rate, short };
    }
    if latest.is_some_and(|latest| latest - earliest > time_left) {
        return Forecast::TooEarlyToSay { rate };
    }
    Forecast::Reached {
        target,
        rate,
        at,
        earliest,
        latest: latest.map(|latest| latest.min(input.ends_at)),
        slowing,
    }
}

fn mean(counts: &[i64]) -> f64 {
    counts.iter().sum::<i64>() as f64 / counts.len().max(1) as f64
}

fn standard_deviation(counts: &[i64]) -> f64 {
    let m = mean(counts);
    let variance = counts.iter().map(|&c| (c as f64 - m).powi(2)).sum::<f64>() / counts.len().max(1) as f64;
    variance.sqrt()
}

#[cfg(test)]
#[path = "forecast_tests.rs"]
mod tests;
