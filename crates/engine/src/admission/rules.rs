//! The admission rules on plain data: what a ticket's own state refuses before anything
//! changes, which scans of a batch are answered from earlier requests, and what a scan
//! was once the tickets have (or have not) moved. No database here; `moves.rs` and
//! `queries.rs` load what these rules need and store what they decide.

use std::collections::{HashMap, HashSet};

use crate::domain::TicketStatus;
use crate::domain::{EntryPolicy, TimeZone, ZoneMismatch};
use crate::model::{Admitted, Direction, GateDevice, Movement, Reason, ScanAttempt, ScanResult};

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
    /// For a valid scan: who moved where.
    pub moved: Option<Movement>,
}

impl Decision {
    /// A valid scan at a gate that names no zones.
    pub fn valid(ticket_id: i64, direction: Direction) -> Self {
        Self {
            result: ScanResult::Valid,
            reason: None,
            ticket_id: Some(ticket_id),
            moved: Some(Movement::plain(direction)),
        }
    }

    pub fn refused(reason: Reason, ticket_id: Option<i64>) -> Self {
        Self {
            result: reason.result(),
            reason: Some(reason),
            ticket_id,
            moved: None,
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
    /// The scan id came before (earlier, or in this batch) with another ticket code: a
    /// device bug, refused and not recorded, so the first scan's answer is never passed
    /// off as this one's.
    Conflict,
}

/// An earlier request's answer to a scan id, and the ticket code it was for.
pub type Earlier<T> = HashMap<String, (String, T)>;

/// For each attempt, where its answer comes from; and the attempts to decide now (the
/// first of each scan id not answered before), in the batch's order.
pub fn plan<'a, T: Clone>(attempts: &'a [ScanAttempt], earlier: &Earlier<T>) -> (Vec<Slot<T>>, Vec<&'a ScanAttempt>) {
    let mut first_seen: HashMap<&str, (usize, &str)> = HashMap::new();
    let mut new = Vec::new();
    let mut slots = Vec::with_capacity(attempts.len());
    for attempt in attempts {
        let (id, code) = (attempt.device_scan_id.as_str(), attempt.ticket_code.as_str());
        if let Some((earlier_code, previous)) = earlier.get(id) {
            slots.push(match earlier_code == code {
                true => Slot::Earlier(previous.clone()),
                false => Slot::Conflict,
            });
        } else if let Some(&(index, first_code)) = first_seen.get(id) {
            slots.push(match first_code == code {
                true => Slot::New { index, repeated: true },
                false => Slot::Conflict,
            });
        } else {
            first_seen.insert(id, (new.len(), code));
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
pub fn moves_in_sequence<'a>(checks: impl IntoIterator<Item = &'a Checked>) -> bool {
    let mut distinct = HashSet::new();
    checks
        .into_iter()
        .filter_map(|check| check.as_ref().ok())
        .any(|ticket_id| !distinct.insert(*ticket_id))
}

/// Whether a group's batches can be decided together: no ticket code in two of them,
/// and no device's scan id in two (the second must see the first's answer), so none
/// depends on another's outcome. Repeats inside one batch are its own business (`plan`,
/// `moves_in_sequence`).
pub fn batches_apart<'a>(batches: impl IntoIterator<Item = (i64, &'a [ScanAttempt])>) -> bool {
    let (mut codes, mut scan_ids) = (HashMap::new(), HashMap::new());
    batches.into_iter().enumerate().all(|(batch, (device_id, attempts))| {
        attempts.iter().all(|attempt| {
            let code = *codes.entry(attempt.ticket_code.as_str()).or_insert(batch);
            let id = *scan_ids
                .entry((device_id, attempt.device_scan_id.as_str()))
                .or_insert(batch);
            code == batch && id == batch
        })
    })
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
pub fn decide(attempt: &ScanAttempt, check: Checked, moved: &Moved, rules: &EntryRules) -> Decision {
    let ticket_id = match check {
        Err(refused) => return refused,
        Ok(ticket_id) => ticket_id,
    };
    match attempt.direction {
        Direction::In if moved.admitted.contains(&ticket_id) => Decision::valid(ticket_id, Direction::In),
        Direction::In => {
            let reason = match (moved.inside.get(&ticket_id), rules.refusal()) {
                (Some(admitted), _) => Reason::AlreadyInside(admitted.clone()),
                (None, Some(refusal)) => refusal,
                (None, None) => Reason::AlreadyInside(Admitted {
                    at: attempt.scanned_at,
                    gate: String::new(),
                }),
            };
            Decision::refused(reason, Some(ticket_id))
        }
        Direction::Out if moved.left.contains(&ticket_id) => Decision::valid(ticket_id, Direction::Out),
        Direction::Out => Decision::refused(Reason::NotInside, Some(ticket_id)),
    }
}

/// The event's entry rules, read with each batch (never cached, so a change governs the
/// next batch of every device on every instance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRules {
    pub policy: EntryPolicy,
    pub timezone: TimeZone,
    /// For an event that has zones, what a scan assuming the wrong zone does; None:
    /// the event has no zones (and its scans take `moves.rs`'s one-statement path).
    pub zones: Option<ZoneMismatch>,
}

impl EntryRules {
    /// Today's behaviour: after an exit the ticket is valid again.
    #[cfg(test)]
    pub const REENTRY: EntryRules = EntryRules {
        policy: EntryPolicy::Reentry,
        timezone: TimeZone::UTC,
        zones: None,
    };

    /// An entry scanned at `scanned_at` lets in a ticket (not inside) only when its last
    /// entry, if any, was before this instant: never for re-entry (`i64::MAX`), any
    /// entry at all for no re-entry (`i64::MIN`), the start of the scan's calendar day in
    /// the event's time zone for once per day. The admitting UPDATE checks it, so two
    /// devices racing cannot both let the ticket in again.
    pub fn entered_before(&self, scanned_at: i64) -> i64 {
        match self.policy {
            EntryPolicy::Reentry => i64::MAX,
            EntryPolicy::NoReentry => i64::MIN,
            EntryPolicy::OncePerDay => start_of_day(scanned_at, &self.timezone),
        }
    }

    /// Why an entry of a ticket that is not inside was not let in; None when only
    /// being inside refuses an entry.
    pub fn refusal(&self) -> Option<Reason> {
        match self.policy {
            EntryPolicy::Reentry => None,
            EntryPolicy::NoReentry => Some(Reason::NoReentry),
            EntryPolicy::OncePerDay => Some(Reason::AlreadyEnteredToday),
        }
    }
}

/// The first instant (ms) of the calendar day, in `zone`, that `at` falls on (local
/// midnight, or the first hour after a clock change that skips it).
pub fn start_of_day(at: i64, zone: &TimeZone) -> i64 {
    chrono::DateTime::from_timestamp_millis(at)
        .and_then(|utc| crate::forms::start_of_day(utc.with_timezone(&**zone).date_naive(), zone).ok())
        .unwrap_or(i64::MIN)
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
