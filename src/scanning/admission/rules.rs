//! The admission rules on plain data: what a ticket's own state refuses before anything
//! changes, which scans of a batch are answered from earlier requests, and what a scan
//! was once the tickets have (or have not) moved. No database here; `moves.rs` and
//! `queries.rs` load what these rules need and store what they decide.

use std::collections::{HashMap, HashSet};

use crate::orders::TicketStatus;
use crate::scanning::model::{Admitted, Direction, GateDevice, Reason, ScanAttempt, ScanResult};

/// A ticket as the admission rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketAtGate {
    pub id: i64,
    pub event_id: i64,
    pub status: TicketStatus,
    pub ticket_type_id: i64,
}

/// What was decided for one new scan, before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub result: ScanResult,
    pub reason: Option<Reason>,
    pub ticket_id: Option<i64>,
}

impl Decision {
    pub fn valid(ticket_id: i64) -> Self {
        Self {
            result: ScanResult::Valid,
            reason: None,
            ticket_id: Some(ticket_id),
        }
    }

    pub fn refused(reason: Reason, ticket_id: Option<i64>) -> Self {
        Self {
            result: reason.result(),
            reason: Some(reason),
            ticket_id,
        }
    }

    /// For a duplicate: where and when the holder was let in.
    pub fn admitted(&self) -> Option<&Admitted> {
        match &self.reason {
            Some(Reason::AlreadyInside(admitted)) => Some(admitted),
            _ => None,
        }
    }
}

/// A scan that passed `precheck` carries the ticket to move; one that failed, its refusal.
pub type Checked = Result<i64, Decision>;

/// Everything that can be decided without changing the ticket: the ticket id to move,
/// or the reason it is invalid.
pub fn precheck(device: GateDevice, ticket: Option<&TicketAtGate>, allowed_types: &[i64]) -> Checked {
    let Some(ticket) = ticket else {
        return Err(Decision::refused(Reason::UnknownCode, None));
    };
    let refuse = |reason| Err(Decision::refused(reason, Some(ticket.id)));
    if ticket.event_id != device.event_id {
        return refuse(Reason::OtherEvent);
    }
    if !ticket.status.is_valid() {
        return refuse(Reason::Ticket(ticket.status));
    }
    if !allowed_types.is_empty() && !allowed_types.contains(&ticket.ticket_type_id) {
        return refuse(Reason::TypeNotAllowed);
    }
    Ok(ticket.id)
}

/// Where a batch's answer comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot<T> {
    /// The scan id was answered in an earlier request.
    Earlier(T),
    /// A decision made now; `repeated` when the same id came earlier in this same batch.
    New { index: usize, repeated: bool },
}

/// For each attempt, where its answer comes from; and the attempts to decide now (the
/// first of each scan id not answered before), in the batch's order.
pub fn plan<'a, T: Clone>(
    attempts: &'a [ScanAttempt],
    earlier: &HashMap<String, T>,
) -> (Vec<Slot<T>>, Vec<&'a ScanAttempt>) {
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    let mut new = Vec::new();
    let mut slots = Vec::with_capacity(attempts.len());
    for attempt in attempts {
        let id = attempt.device_scan_id.as_str();
        if let Some(previous) = earlier.get(id) {
            slots.push(Slot::Earlier(previous.clone()));
        } else if let Some(&index) = first_seen.get(id) {
            slots.push(Slot::New { index, repeated: true });
        } else {
            first_seen.insert(id, new.len());
            slots.push(Slot::New {
                index: new.len(),
                repeated: false,
            });
            new.push(attempt);
        }
    }
    (slots, new)
}

/// When a ticket is to move twice in one batch (an entry, then an exit), each scan must
/// be decided after the one before it; otherwise they can all move at once.
pub fn moves_in_sequence(checked: &[(&ScanAttempt, Checked)]) -> bool {
    let tickets: Vec<i64> = checked.iter().filter_map(|(_, c)| c.as_ref().ok().copied()).collect();
    let distinct: HashSet<i64> = tickets.iter().copied().collect();
    distinct.len() < tickets.len()
}

/// What the conditional updates did: tickets let in, tickets let out, and where those
/// refused entry had been let in before.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Moved {
    pub admitted: HashSet<i64>,
    pub left: HashSet<i64>,
    pub inside: HashMap<i64, Admitted>,
}

/// The decision for one scan once the tickets have moved: an entry that moved its
/// ticket is valid, one that did not found it inside (a duplicate); an exit that did
/// not move its ticket had no entry to exit from.
pub fn decide(attempt: &ScanAttempt, check: Checked, moved: &Moved) -> Decision {
    let ticket_id = match check {
        Err(refused) => return refused,
        Ok(ticket_id) => ticket_id,
    };
    match attempt.direction {
        Direction::In if moved.admitted.contains(&ticket_id) => Decision::valid(ticket_id),
        Direction::In => {
            let admitted = moved.inside.get(&ticket_id).cloned().unwrap_or(Admitted {
                at: attempt.scanned_at,
                gate: String::new(),
            });
            Decision::refused(Reason::AlreadyInside(admitted), Some(ticket_id))
        }
        Direction::Out if moved.left.contains(&ticket_id) => Decision::valid(ticket_id),
        Direction::Out => Decision::refused(Reason::NotInside, Some(ticket_id)),
    }
}

#[cfg(test)]
mod tests {
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
        let earlier = HashMap::from([("b".to_string(), "before")]);
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
        let (entry, exit) = (attempt("a", Direction::In), attempt("b", Direction::Out));
        assert!(moves_in_sequence(&[(&entry, Ok(10)), (&exit, Ok(10))]));
        assert!(!moves_in_sequence(&[(&entry, Ok(10)), (&exit, Ok(11))]));
        let refused = Err(Decision::refused(Reason::UnknownCode, None));
        assert!(!moves_in_sequence(&[(&entry, Ok(10)), (&exit, refused)]));
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
        assert_eq!(decide(&entry, Ok(10), &moved), Decision::valid(10));
        let duplicate = decide(&entry, Ok(11), &moved);
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
        assert_eq!(decide(&exit, Ok(10), &moved), Decision::valid(10));
        assert_eq!(
            decide(&exit, Ok(11), &moved),
            Decision::refused(Reason::NotInside, Some(11))
        );
    }
}
