//! The shape of a crowd arriving, for the demo: when a ticket holder comes in (doors
//! open an hour before the start, most arrive around the start, a tail comes late, a few
//! are early), and the live event's scan rate over the wall clock (an hourly cycle
//! counted from the event's start: a surge, a peak, a lull), so a visitor sees the rate
//! move whenever they look.

use rand::Rng;

pub const MINUTE: i64 = 60_000;
/// Doors open this long before the event's start.
pub const DOORS_BEFORE_START: i64 = 60 * MINUTE;

/// How long after doors open one ticket holder arrives (ms): 80 % in a bell around the
/// start (between 10 and 110 minutes after doors open), 15 % in a tail after the start
/// (exponential, 40 minutes on average), 5 % in the first half hour.
pub fn arrival_after_doors(rng: &mut impl Rng) -> i64 {
    let minutes = match rng.random_range(0..100) {
        0..80 => {
            let bell: f64 = (0..3).map(|_| rng.random::<f64>()).sum::<f64>() / 3.0;
            10.0 + bell * 100.0
        }
        80..95 => 60.0 - 40.0 * (1.0 - rng.random::<f64>()).ln(),
        _ => rng.random::<f64>() * 30.0,
    };
    (minutes * MINUTE as f64) as i64
}

/// The shape's average over an hour (10 × 1.2 + 15 × 1.5 + 20 × 0.3 + 15 × 0.35, over 60).
const SHAPE_MEAN: f64 = 0.7625;
/// The highest `rate_factor`: the simulator draws this many times its average rate and
/// keeps each scan with probability `rate_factor / PEAK_FACTOR`.
pub const PEAK_FACTOR: f64 = 2.0 / SHAPE_MEAN;

/// Each hour from the start: 10 minutes rising from 0.4 to 2, 15 minutes easing to 1,
/// 20 minutes of lull at 0.3, 15 minutes recovering to 0.4.
fn shape(since_start: i64) -> f64 {
    let minute = since_start.rem_euclid(60 * MINUTE) as f64 / MINUTE as f64;
    match minute {
        m if m < 10.0 => 0.4 + 1.6 * m / 10.0,
        m if m < 25.0 => 2.0 - (m - 10.0) / 15.0,
        m if m < 45.0 => 0.3,
        m => 0.3 + 0.1 * (m - 45.0) / 15.0,
    }
}

/// The live event's scan rate at `since_start` (ms after its start) as a multiple of
/// the average (the hourly shape, scaled to average 1).
pub fn rate_factor(since_start: i64) -> f64 {
    shape(since_start) / SHAPE_MEAN
}

/// The share of the live event's scans that are exits: people step out in the lull.
pub fn exit_share(since_start: i64) -> f64 {
    if shape(since_start) < 0.5 {
        0.25
    } else {
        0.06
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_rises_peaks_lulls_and_averages_about_one() {
        assert!(rate_factor(0) < rate_factor(10 * MINUTE));
        assert!((rate_factor(10 * MINUTE) - PEAK_FACTOR).abs() < 1e-9);
        assert!(rate_factor(30 * MINUTE) < 0.5 && exit_share(30 * MINUTE) > exit_share(10 * MINUTE));
        assert_eq!(rate_factor(70 * MINUTE), rate_factor(10 * MINUTE));
        let average = (0..3_600).map(|s| rate_factor(s * 1_000)).sum::<f64>() / 3_600.0;
        assert!((average - 1.0).abs() < 0.01, "{average}");
        assert!((0..3_600).all(|s| rate_factor(s * 1_000) <= PEAK_FACTOR + 1e-9));
    }

    #[test]
    fn most_arrive_around_the_start() {
        let mut rng = rand::rng();
        let offsets: Vec<i64> = (0..10_000).map(|_| arrival_after_doors(&mut rng)).collect();
        let around_start = offsets
            .iter()
            .filter(|&&t| (30 * MINUTE..90 * MINUTE).contains(&t))
            .count();
        assert!(around_start > 5_000, "{around_start}");
        assert!(offsets.iter().all(|&t| t >= 0));
    }
}
