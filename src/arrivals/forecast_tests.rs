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
