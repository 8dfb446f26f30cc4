//! The admission rules' unit tests.

use super::*;

const DEVICE: GateDevice = GateDevice {
    device_id: 1,
    gate_id: 2,
    event_id: 3,
};

fn ticket(status: TicketStatus) -> TicketAtGate {
    TicketAtGate {
        id: 10,
        event_id: 3,
        status,
        ticket_type_id: 7,
    }
}

fn attempt(id: &str, direction: Direction) -> ScanAttempt {
    ScanAttempt {
        device_scan_id: id.into(),
        ticket_code: "CODE".into(),
        direction,
        scanned_at: 5_000,
    }
}

fn reason(check: Checked) -> Option<Reason> {
    check.err().and_then(|d| d.reason)
}

#[test]
fn a_paid_ticket_of_the_event_passes_and_every_other_is_refused_with_its_reason() {
    assert_eq!(precheck(DEVICE, Some(&ticket(TicketStatus::Valid)), &[]), Ok(10));
    assert_eq!(reason(precheck(DEVICE, None, &[])), Some(Reason::UnknownCode));
    assert_eq!(
        reason(precheck(DEVICE, Some(&ticket(TicketStatus::Refunded)), &[])),
        Some(Reason::Ticket(TicketStatus::Refunded))
    );
    assert_eq!(
        reason(precheck(DEVICE, Some(&ticket(TicketStatus::Cancelled)), &[])),
        Some(Reason::Ticket(TicketStatus::Cancelled))
    );
    let elsewhere = TicketAtGate {
        event_id: 4,
        ..ticket(TicketStatus::Valid)
    };
    assert_eq!(
        reason(precheck(DEVICE, Some(&elsewhere), &[])),
        Some(Reason::OtherEvent)
    );
}

#[test]
fn a_scan_id_sent_again_for_another_ticket_is_a_conflict_earlier_or_in_the_batch() {
    let other = |id: &str| ScanAttempt {
        ticket_code: "OTHER".into(),
        ..attempt(id, Direction::In)
    };
    let attempts = [
        attempt("a", Direction::In),
        other("a"),
        other("b"),
        attempt("b", Direction::Out),
    ];
    let earlier = HashMap::from([("b".to_string(), ("CODE".to_string(), "before"))]);
    let (slots, new) = plan(&attempts, &earlier);
    assert_eq!(
        slots,
        vec![
            Slot::New {
                index: 0,
                repeated: false
            },
            Slot::Conflict,
            Slot::Conflict,
            Slot::Earlier("before"),
        ]
    );
    assert_eq!(new.len(), 1, "nothing of a conflict is decided");
}

#[test]
fn a_gate_with_allowed_types_refuses_the_others_and_one_without_lets_all_in() {
    assert_eq!(precheck(DEVICE, Some(&ticket(TicketStatus::Valid)), &[7, 8]), Ok(10));
    assert_eq!(
        reason(precheck(DEVICE, Some(&ticket(TicketStatus::Valid)), &[8])),
        Some(Reason::TypeNotAllowed)
    );
}

#[test]
fn earlier_answers_are_replayed_and_a_repeated_id_shares_its_first_decision() {
    let attempts = [
        attempt("a", Direction::In),
        attempt("b", Direction::In),
        attempt("a", Direction::In),
        attempt("c", Direction::Out),
    ];
    let earlier = HashMap::from([("b".to_string(), ("CODE".to_string(), "before"))]);
    let (slots, new) = plan(&attempts, &earlier);
    assert_eq!(
        slots,
        vec![
            Slot::New {
                index: 0,
                repeated: false
            },
            Slot::Earlier("before"),
            Slot::New {
                index: 0,
                repeated: true
            },
            Slot::New {
                index: 1,
                repeated: false
            },
        ]
    );
    let ids: Vec<&str> = new.iter().map(|a| a.device_scan_id.as_str()).collect();
    assert_eq!(ids, ["a", "c"]);
}

#[test]
fn a_ticket_moving_twice_in_a_batch_is_decided_in_sequence() {
    assert!(moves_in_sequence([&Ok(10), &Ok(10)]));
    assert!(!moves_in_sequence([&Ok(10), &Ok(11)]));
    let refused = Err(Decision::refused(Reason::UnknownCode, None));
    assert!(!moves_in_sequence([&Ok(10), &refused]));
}

#[test]
fn batches_sharing_a_ticket_or_a_devices_scan_id_are_not_decided_together() {
    let scan = |id: &str, code: &str| ScanAttempt {
        ticket_code: code.into(),
        ..attempt(id, Direction::In)
    };
    let (first, other, same_code) = ([scan("a", "T1")], [scan("b", "T2")], [scan("c", "T1")]);
    assert!(batches_apart([(1, &first[..]), (2, &other[..])]));
    assert!(
        !batches_apart([(1, &first[..]), (2, &same_code[..])]),
        "one ticket at two gates"
    );
    let same_id = [scan("a", "T3")];
    assert!(
        !batches_apart([(1, &first[..]), (1, &same_id[..])]),
        "one device's scan id twice"
    );
    assert!(
        batches_apart([(1, &first[..]), (2, &same_id[..])]),
        "scan ids are per device"
    );
    let repeated_inside = [scan("a", "T1"), scan("a", "T1")];
    assert!(batches_apart([(1, &repeated_inside[..]), (2, &other[..])]));
}

#[test]
fn an_entry_that_moved_is_valid_and_one_that_did_not_is_a_duplicate_saying_where() {
    let entry = attempt("a", Direction::In);
    let north = Admitted {
        at: 1_000,
        gate: "North".into(),
    };
    let moved = Moved {
        admitted: HashSet::from([10]),
        inside: HashMap::from([(11, north.clone())]),
        ..Moved::default()
    };
    assert_eq!(
        decide(&entry, Ok(10), &moved, &EntryRules::REENTRY),
        Decision::valid(10, Direction::In)
    );
    let duplicate = decide(&entry, Ok(11), &moved, &EntryRules::REENTRY);
    assert_eq!(duplicate.result, ScanResult::Duplicate);
    assert_eq!(duplicate.admitted(), Some(&north));
}

#[test]
fn an_exit_of_a_ticket_not_inside_is_invalid() {
    let exit = attempt("a", Direction::Out);
    let moved = Moved {
        left: HashSet::from([10]),
        ..Moved::default()
    };
    assert_eq!(
        decide(&exit, Ok(10), &moved, &EntryRules::REENTRY),
        Decision::valid(10, Direction::Out)
    );
    assert_eq!(
        decide(&exit, Ok(11), &moved, &EntryRules::REENTRY),
        Decision::refused(Reason::NotInside, Some(11))
    );
}

fn rules(policy: EntryPolicy, zone: chrono_tz::Tz) -> EntryRules {
    EntryRules {
        policy,
        timezone: TimeZone(zone),
        zones: None,
    }
}

/// Milliseconds of a UTC time.
fn utc(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .unwrap()
}

#[test]
fn a_day_starts_at_local_midnight_in_the_events_zone() {
    let amsterdam = TimeZone(chrono_tz::Europe::Amsterdam);
    // 23:30 UTC on 1 July is 01:30 on 2 July in Amsterdam (summer time, UTC+2).
    assert_eq!(
        start_of_day(utc("2026-07-01T23:30:00Z"), &amsterdam),
        utc("2026-07-01T22:00:00Z")
    );
    assert_eq!(
        start_of_day(utc("2026-07-01T21:59:59Z"), &amsterdam),
        utc("2026-06-30T22:00:00Z")
    );
    assert_eq!(
        start_of_day(utc("2026-07-01T12:00:00Z"), &TimeZone::UTC),
        utc("2026-07-01T00:00:00Z")
    );
    // Where a clock change skips midnight, the day starts at the first hour that exists
    // (Havana: 2026-03-08 00:00 → 01:00).
    let havana = TimeZone(chrono_tz::America::Havana);
    assert_eq!(
        start_of_day(utc("2026-03-08T12:00:00Z"), &havana),
        utc("2026-03-08T05:00:00Z")
    );
}

#[test]
fn reentry_never_bounds_an_entry_and_no_reentry_admits_a_ticket_only_once() {
    let at = utc("2026-07-01T20:00:00Z");
    assert_eq!(EntryRules::REENTRY.entered_before(at), i64::MAX);
    assert_eq!(EntryRules::REENTRY.refusal(), None);
    let once = rules(EntryPolicy::NoReentry, chrono_tz::UTC);
    assert_eq!(once.entered_before(at), i64::MIN);
    assert_eq!(once.refusal(), Some(Reason::NoReentry));
    assert_eq!(Reason::NoReentry.message(), "no re-entry");
    assert_eq!(Reason::NoReentry.result(), ScanResult::Invalid);
}

#[test]
fn once_per_day_admits_again_only_on_a_later_local_day() {
    let daily = rules(EntryPolicy::OncePerDay, chrono_tz::Europe::Amsterdam);
    let evening = utc("2026-07-01T20:00:00Z");
    let bound = daily.entered_before(evening);
    // Entered at 10:00 local that day: refused; entered the evening before: admitted.
    assert!(utc("2026-07-01T08:00:00Z") >= bound);
    assert!(utc("2026-06-30T20:00:00Z") < bound);
    assert_eq!(daily.refusal(), Some(Reason::AlreadyEnteredToday));
    assert_eq!(Reason::AlreadyEnteredToday.message(), "already entered today");
}

#[test]
fn an_entry_refused_by_the_policy_says_why_and_one_found_inside_stays_a_duplicate() {
    let entry = attempt("a", Direction::In);
    let north = Admitted {
        at: 1_000,
        gate: "North".into(),
    };
    let moved = Moved {
        inside: HashMap::from([(11, north.clone())]),
        ..Moved::default()
    };
    let once = rules(EntryPolicy::NoReentry, chrono_tz::UTC);
    assert_eq!(
        decide(&entry, Ok(10), &moved, &once),
        Decision::refused(Reason::NoReentry, Some(10))
    );
    assert_eq!(decide(&entry, Ok(11), &moved, &once).admitted(), Some(&north));
    let daily = rules(EntryPolicy::OncePerDay, chrono_tz::UTC);
    assert_eq!(
        decide(&entry, Ok(10), &moved, &daily).reason,
        Some(Reason::AlreadyEnteredToday)
    );
    assert_eq!(
        decide(&entry, Ok(10), &moved, &EntryRules::REENTRY).result,
        ScanResult::Duplicate
    );
}
