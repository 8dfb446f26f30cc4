use super::*;
use crate::domain::{EntryPolicy, TimeZone};

const ARENA: i64 = 1;
const VIP: i64 = 2;
const VIP_TYPE: i64 = 7;
const GENERAL_TYPE: i64 = 8;

fn zones(arena_capacity: i64, vip_full: WhenFull) -> HashMap<i64, ZoneState> {
    let zone = |name: &str, capacity, when_full, types: Vec<i64>| ZoneState {
        name: name.into(),
        capacity,
        when_full,
        inside: 0,
        correction: 0,
        types,
    };
    HashMap::from([
        (ARENA, zone("Arena", arena_capacity, WhenFull::Warn, vec![])),
        (VIP, zone("VIP deck", 1, vip_full, vec![VIP_TYPE])),
    ])
}

fn scan(direction: Direction, passage: Option<Passage>, mismatch: ZoneMismatch) -> ZoneScan {
    ZoneScan {
        direction,
        scanned_at: 1_000,
        gate_id: 5,
        gate_name: "Gate".into(),
        passage,
        ticket_type_id: VIP_TYPE,
        entry: EntryRules {
            policy: EntryPolicy::Reentry,
            timezone: TimeZone::UTC,
            zones: Some(mismatch),
        },
        mismatch,
    }
}

const INTO_ARENA: Option<Passage> = Some(Passage { from: None, to: ARENA });
const ONTO_VIP: Option<Passage> = Some(Passage {
    from: Some(ARENA),
    to: VIP,
});

fn moved(inside: i64, from: Option<i64>, to: Option<i64>) -> Step {
    Step::Moved {
        movement: Movement { inside, from, to },
        warning: None,
    }
}

#[test]
fn a_person_walks_in_onto_the_deck_back_and_out_and_the_counts_follow() {
    let (mut zones, mut at) = (zones(10, WhenFull::Refuse), Whereabouts::default());
    let admit = ZoneMismatch::Admit;
    assert_eq!(
        step(&scan(Direction::In, INTO_ARENA, admit), &mut at, &mut zones),
        moved(1, None, Some(ARENA))
    );
    assert_eq!((zones[&ARENA].inside, at.zone), (1, Some(ARENA)));
    assert_eq!(
        step(&scan(Direction::In, ONTO_VIP, admit), &mut at, &mut zones),
        moved(0, Some(ARENA), Some(VIP))
    );
    assert_eq!((zones[&ARENA].inside, zones[&VIP].inside), (0, 1));
    assert_eq!(
        step(&scan(Direction::Out, ONTO_VIP, admit), &mut at, &mut zones),
        moved(0, Some(VIP), Some(ARENA))
    );
    assert_eq!(
        step(&scan(Direction::Out, INTO_ARENA, admit), &mut at, &mut zones),
        moved(-1, Some(ARENA), None)
    );
    assert_eq!(
        (zones[&ARENA].inside, zones[&VIP].inside, at.inside_since),
        (0, 0, None)
    );
}

#[test]
fn a_second_entry_into_the_zone_one_is_in_is_a_duplicate() {
    let (mut zones, mut at) = (zones(10, WhenFull::Warn), Whereabouts::default());
    step(
        &scan(Direction::In, INTO_ARENA, ZoneMismatch::Admit),
        &mut at,
        &mut zones,
    );
    let again = step(
        &scan(Direction::In, INTO_ARENA, ZoneMismatch::Admit),
        &mut at,
        &mut zones,
    );
    assert!(matches!(again, Step::Refused(Reason::AlreadyInside(_))), "{again:?}");
    assert_eq!(zones[&ARENA].inside, 1);
}

#[test]
fn a_deck_entry_of_someone_never_in_the_arena_follows_the_event_setting() {
    let (mut zones, mut at) = (zones(10, WhenFull::Warn), Whereabouts::default());
    let refused = step(
        &scan(Direction::In, ONTO_VIP, ZoneMismatch::Refuse),
        &mut at,
        &mut zones,
    );
    assert_eq!(refused, Step::Refused(Reason::NotInZone("Arena".into())));
    assert_eq!((zones[&VIP].inside, at.inside_since), (0, None));
    let admitted = step(&scan(Direction::In, ONTO_VIP, ZoneMismatch::Admit), &mut at, &mut zones);
    assert_eq!(admitted, moved(1, None, Some(VIP)));
    assert_eq!((zones[&VIP].inside, at.inside_since), (1, Some(1_000)));
}

#[test]
fn a_full_zone_warns_or_refuses_as_its_owner_chose() {
    for (rule, expected) in [
        (WhenFull::Warn, Some(Reason::ZoneFullWarning("VIP deck".into()))),
        (WhenFull::Refuse, None),
    ] {
        let mut zones = zones(10, rule);
        zones.get_mut(&VIP).unwrap().inside = 1;
        let mut at = Whereabouts {
            inside_since: Some(1),
            zone: Some(ARENA),
            ..Whereabouts::default()
        };
        let answer = step(&scan(Direction::In, ONTO_VIP, ZoneMismatch::Admit), &mut at, &mut zones);
        match expected {
            Some(warning) => assert_eq!(
                answer,
                Step::Moved {
                    movement: Movement {
                        inside: 0,
                        from: Some(ARENA),
                        to: Some(VIP)
                    },
                    warning: Some(warning)
                }
            ),
            None => assert_eq!(answer, Step::Refused(Reason::ZoneFull("VIP deck".into()))),
        }
    }
}

#[test]
fn a_headcount_correction_counts_toward_full() {
    let mut zones = zones(10, WhenFull::Refuse);
    zones.get_mut(&VIP).unwrap().correction = 1;
    let mut at = Whereabouts {
        inside_since: Some(1),
        zone: Some(ARENA),
        ..Whereabouts::default()
    };
    let answer = step(&scan(Direction::In, ONTO_VIP, ZoneMismatch::Admit), &mut at, &mut zones);
    assert_eq!(answer, Step::Refused(Reason::ZoneFull("VIP deck".into())));
}

#[test]
fn a_ticket_type_the_zone_does_not_let_in_is_refused_there() {
    let (mut zones, mut at) = (zones(10, WhenFull::Warn), Whereabouts::default());
    let mut general = scan(Direction::In, INTO_ARENA, ZoneMismatch::Admit);
    general.ticket_type_id = GENERAL_TYPE;
    assert_eq!(step(&general, &mut at, &mut zones), moved(1, None, Some(ARENA)));
    general.passage = ONTO_VIP;
    let refused = step(&general, &mut at, &mut zones);
    assert_eq!(refused, Step::Refused(Reason::TypeNotAllowedInZone("VIP deck".into())));
    assert_eq!((zones[&ARENA].inside, zones[&VIP].inside), (1, 0));
}

#[test]
fn an_exit_of_someone_outside_is_refused_and_a_plain_gate_keeps_its_meaning() {
    let (mut zones, mut at) = (zones(10, WhenFull::Warn), Whereabouts::default());
    let out = step(
        &scan(Direction::Out, INTO_ARENA, ZoneMismatch::Admit),
        &mut at,
        &mut zones,
    );
    assert_eq!(out, Step::Refused(Reason::NotInside));
    assert_eq!(
        step(&scan(Direction::In, None, ZoneMismatch::Admit), &mut at, &mut zones),
        moved(1, None, None)
    );
    assert_eq!(
        step(&scan(Direction::Out, None, ZoneMismatch::Admit), &mut at, &mut zones),
        moved(-1, None, None)
    );
}

#[test]
fn leaving_the_deck_while_in_the_arena_follows_the_event_setting() {
    let mut zones = zones(10, WhenFull::Warn);
    let mut at = Whereabouts {
        inside_since: Some(1),
        zone: Some(ARENA),
        ..Whereabouts::default()
    };
    let refused = step(
        &scan(Direction::Out, ONTO_VIP, ZoneMismatch::Refuse),
        &mut at,
        &mut zones,
    );
    assert_eq!(refused, Step::Refused(Reason::NotInZone("VIP deck".into())));
    zones.get_mut(&ARENA).unwrap().inside = 1;
    let admitted = step(
        &scan(Direction::Out, ONTO_VIP, ZoneMismatch::Admit),
        &mut at,
        &mut zones,
    );
    assert_eq!(admitted, moved(0, Some(ARENA), Some(ARENA)));
    assert_eq!(zones[&ARENA].inside, 1);
}

#[test]
fn no_reentry_holds_for_an_entry_through_a_zone_passage() {
    let (mut zones, mut at) = (zones(10, WhenFull::Warn), Whereabouts::default());
    let mut entry = scan(Direction::In, INTO_ARENA, ZoneMismatch::Admit);
    entry.entry.policy = EntryPolicy::NoReentry;
    step(&entry, &mut at, &mut zones);
    step(
        &scan(Direction::Out, INTO_ARENA, ZoneMismatch::Admit),
        &mut at,
        &mut zones,
    );
    assert_eq!(step(&entry, &mut at, &mut zones), Step::Refused(Reason::NoReentry));
    assert_eq!(zones[&ARENA].inside, 0);
}
