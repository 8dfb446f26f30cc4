use super::*;
use crate::events::TimeZone;

fn event(starts_at: i64, ends_at: i64) -> Event {
    Event {
        id: 1,
        name: "E".into(),
        venue: "V".into(),
        starts_at,
        ends_at,
        timezone: TimeZone(chrono_tz::UTC),
        capacity: 100,
        currency: "EUR".into(),
        sales_open_at: 0,
        entry_policy: crate::events::EntryPolicy::Reentry,
    }
}

fn at(minute: i64, gate_id: i64, entries: i64, exits: i64) -> MinuteCount {
    MinuteCount {
        minute,
        gate_id,
        entries,
        exits,
    }
}

const T0: i64 = 29_000_000; // a unix minute on a 5-minute boundary

#[test]
fn bars_of_five_minutes_from_the_first_entry_to_now() {
    let e = event(T0 * MINUTE, (T0 + 600) * MINUTE);
    let minutes = vec![at(T0 + 1, 1, 3, 0), at(T0 + 2, 2, 4, 1), at(T0 + 7, 1, 5, 2)];
    let arrivals = Arrivals::new(&e, (T0 + 12) * MINUTE + 30_000, minutes);
    assert_eq!(arrivals.doors_open, Some((T0 + 1) * MINUTE));
    let curve = arrivals.curve().unwrap();
    assert_eq!(curve.bar_ms, 5 * MINUTE);
    let counts: Vec<(i64, i64)> = curve.bars.iter().map(|b| (b.entries, b.exits)).collect();
    assert_eq!(counts, vec![(7, 1), (5, 2), (0, 0)]);
    assert_eq!(busiest(&curve).unwrap().start, T0 * MINUTE);
    assert_eq!(arrivals.entries_per_minute(15), vec![3, 4, 0, 0, 0, 0, 5, 0, 0, 0, 0]);
}

#[test]
fn a_long_history_is_drawn_in_wider_bars() {
    let e = event(T0 * MINUTE, (T0 + 600) * MINUTE);
    let minutes = vec![at(T0 - 60, 1, 1, 0), at(T0 + 500, 1, 2, 0)];
    let arrivals = Arrivals::new(&e, (T0 + 10_000) * MINUTE, minutes);
    assert!(arrivals.ended());
    let curve = arrivals.curve().unwrap();
    assert_eq!(curve.bar_ms, 15 * MINUTE);
    assert!(curve.bars.len() as i64 <= MAX_BARS);
    assert_eq!(curve.bars.iter().map(|b| b.entries).sum::<i64>(), 3);
}

#[test]
fn before_anyone_came_in_doors_open_an_hour_before_the_start() {
    let e = event(T0 * MINUTE, (T0 + 600) * MINUTE);
    assert_eq!(Arrivals::new(&e, (T0 - 61) * MINUTE, vec![]).doors_open, None);
    let open = Arrivals::new(&e, (T0 - 30) * MINUTE, vec![]);
    assert_eq!(open.doors_open, Some((T0 - 60) * MINUTE));
    assert!(busiest(&open.curve().unwrap()).is_none());
}

#[test]
fn a_gate_rate_now_is_its_last_five_whole_minutes() {
    let e = event(T0 * MINUTE, (T0 + 600) * MINUTE);
    let minutes = vec![
        at(T0, 1, 10, 0),
        at(T0 + 14, 1, 6, 0),
        at(T0 + 19, 1, 9, 0),
        at(T0 + 20, 1, 50, 0),
    ];
    let mut arrivals = Arrivals::new(&e, (T0 + 20) * MINUTE + 1_000, minutes);
    arrivals.gates = vec![(1, "North".into())];
    let rate = &arrivals.gate_rates()[0];
    // Minutes 15..20: 9 entries over 5 minutes; 75 entries over 20 minutes open.
    assert_eq!((rate.now_tenths, rate.average_tenths), (18, 37));
}
