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
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn input(per_minute: &[i64], remaining: i64, headroom: i64) -> ForecastInput<'_> {
        ForecastInput {
            per_minute,
            minutes_open: 60,
            remaining,
            headroom,
            now: NOW,
            ends_at: NOW + 24 * 60 * MINUTE,
        }
    }

    fn minutes_after(at: i64) -> f64 {
        (at - NOW) as f64 / MINUTE as f64
    }

    #[test]
    fn a_steady_flow_gives_a_time_with_a_narrow_range() {
        let curve = [20, 21, 19, 20, 20, 19, 21, 20, 20, 20, 21, 19, 20, 20, 20];
        let Forecast::Reached {
            target,
            rate,
            at,
            earliest,
            latest,
            slowing,
        } = forecast(&input(&curve, 400, 10_000))
        else {
            panic!("a forecast")
        };
        assert_eq!(target, Target::EveryoneIn);
        assert!((rate - 20.0).abs() < 0.01);
        assert!((minutes_after(at) - 20.0).abs() < 0.1);
        let latest = latest.expect("a latest time");
        assert!(earliest <= at && at <= latest);
        assert!(minutes_after(latest) - minutes_after(earliest) < 2.0, "narrow");
        assert!(!slowing);
    }

    #[test]
    fn a_surge_brings_the_time_forward_and_widens_the_range() {
        let curve = [5, 5, 5, 5, 5, 10, 12, 15, 18, 20, 30, 32, 30, 28, 30];
        let Forecast::Reached {
            rate,
            at,
            earliest,
            latest,
            slowing,
            ..
        } = forecast(&input(&curve, 600, 10_000))
        else {
            panic!("a forecast")
        };
        assert!((rate - 30.0).abs() < 0.01);
        assert!((minutes_after(at) - 20.0).abs() < 0.1);
        let latest = latest.expect("a latest time");
        assert!(
            minutes_after(latest) >= 100.0,
            "as slow as the oldest window: {}",
            minutes_after(latest)
        );
        assert!(earliest < at);
        assert!(!slowing);
    }

    #[test]
    fn a_tail_says_arrivals_have_slowed_and_leaves_the_end_open() {
        let curve = [40, 38, 42, 40, 40, 20, 18, 15, 12, 10, 6, 5, 4, 3, 2];
        let Forecast::Reached {
            rate,
            at,
            latest,
            slowing,
            ..
        } = forecast(&input(&curve, 80, 10_000))
        else {
            panic!("a forecast")
        };
        assert!((rate - 4.0).abs() < 0.01);
        assert!((minutes_after(at) - 20.0).abs() < 0.1);
        assert!(slowing);
        assert_eq!(latest, None);
    }

    #[test]
    fn capacity_comes_first_when_there_is_less_room_than_people_to_come() {
        let curve = [10; 15];
        let forecast = forecast(&input(&curve, 1_000, 50));
        let Forecast::Reached { target, at, .. } = forecast else {
            panic!("a forecast")
        };
        assert_eq!(target, Target::Capacity);
        assert!((minutes_after(at) - 5.0).abs() < 0.1);
    }

    #[test]
    fn no_data_or_too_little_is_said_plainly() {
        assert_eq!(forecast(&input(&[], 500, 500)), Forecast::NotEnoughData);
        assert_eq!(
            forecast(&input(&[1, 0, 2, 1, 0, 3, 1], 500, 500)),
            Forecast::NotEnoughData
        );
        let early = ForecastInput {
            minutes_open: 3,
            ..input(&[30, 30, 30], 500, 500)
        };
        assert_eq!(forecast(&early), Forecast::NotEnoughData);
    }

    #[test]
    fn never_a_time_after_the_end_but_how_many_are_short_then() {
        let curve = [10; 15];
        let closing = ForecastInput {
            ends_at: NOW + 30 * MINUTE,
            ..input(&curve, 1_000, 10_000)
        };
        // 10 a minute for the 30 minutes left: 300 of the 1,000 are in by the end.
        assert_eq!(
            forecast(&closing),
            Forecast::NotBeforeTheEnd {
                target: Target::EveryoneIn,
                rate: 10.0,
                short: 700
            }
        );
        let filling = ForecastInput {
            ends_at: NOW + 30 * MINUTE,
            ..input(&curve, 5_000, 400)
        };
        let Forecast::NotBeforeTheEnd { target, short, .. } = forecast(&filling) else {
            panic!("not full before the end")
        };
        assert_eq!((target, short), (Target::Capacity, 100));
    }

    #[test]
    fn a_range_wider_than_the_time_left_is_too_early_to_say_and_none_runs_past_the_end() {
        let surge = [5, 5, 5, 5, 5, 10, 12, 15, 18, 20, 30, 32, 30, 28, 30];
        // At 30 a minute 600 are in after 20 minutes, but the range runs to 120.
        let short_evening = ForecastInput {
            ends_at: NOW + 60 * MINUTE,
            ..input(&surge, 600, 10_000)
        };
        assert_eq!(forecast(&short_evening), Forecast::TooEarlyToSay { rate: 30.0 });
        let steady = [20, 21, 19, 20, 20, 19, 21, 20, 20, 20, 21, 19, 20, 20, 20];
        let tight = ForecastInput {
            ends_at: NOW + 21 * MINUTE,
            ..input(&steady, 400, 10_000)
        };
        let Forecast::Reached { at, latest, .. } = forecast(&tight) else {
            panic!("a forecast")
        };
        assert!(at <= tight.ends_at);
        assert!(
            latest.is_some_and(|latest| latest <= tight.ends_at),
            "the range stops at the end"
        );
    }

    #[test]
    fn everyone_in_full_and_stalled() {
        assert_eq!(forecast(&input(&[10; 15], 0, 500)), Forecast::AllIn);
        assert_eq!(forecast(&input(&[10; 15], 10, 0)), Forecast::Full);
        let curve = [10, 10, 10, 10, 10, 0, 0, 0, 0, 0];
        assert_eq!(forecast(&input(&curve, 10, 500)), Forecast::Stalled);
    }
}
