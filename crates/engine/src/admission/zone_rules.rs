//! The zone rules on plain data: where a valid scan at a passage takes its holder, and
//! what refuses it (a zone they are not in, a full zone, a ticket type the zone does not
//! let in). A gate is a passage `from` → `to` (`from` None: outside); an entry walks it
//! forwards, an exit backwards; a gate that names no zones is outside ↔ the event. Each
//! step changes the ticket's and the zones' state in memory, so a group's scans of one
//! ticket are decided in order; `zones.rs` loads the state and stores what changed.

use std::collections::HashMap;

use super::rules::EntryRules;
use crate::domain::{WhenFull, ZoneMismatch};
use crate::model::{Admitted, Direction, Movement, Reason};

/// A gate's passage between zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passage {
    pub from: Option<i64>,
    pub to: i64,
}

/// A zone as the rules need it, with how many are in it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneState {
    pub name: String,
    pub capacity: i64,
    pub when_full: WhenFull,
    /// Tickets in the zone now.
    pub inside: i64,
    /// What headcounts added on top of the tickets.
    pub correction: i64,
    /// The ticket types it lets in; empty: every type.
    pub types: Vec<i64>,
}

impl ZoneState {
    fn is_full(&self) -> bool {
        self.inside + self.correction >= self.capacity
    }
}

/// Where a ticket's holder is: inside the event since when (None: outside), in which
/// zone, through which gate, and when they last entered the event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Whereabouts {
    pub inside_since: Option<i64>,
    pub zone: Option<i64>,
    pub gate_id: Option<i64>,
    pub gate_name: String,
    pub last_entered_at: Option<i64>,
}

/// One scan of a prechecked ticket at a gate of an event that has zones.
#[derive(Clone, Debug)]
pub struct ZoneScan {
    pub direction: Direction,
    pub scanned_at: i64,
    pub gate_id: i64,
    pub gate_name: String,
    pub passage: Option<Passage>,
    pub ticket_type_id: i64,
    pub entry: EntryRules,
    pub mismatch: ZoneMismatch,
}

/// What a scan did: moved its holder (with a warning beside the valid answer, for a
/// full zone that warns), or was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Moved {
        movement: Movement,
        warning: Option<Reason>,
    },
    Refused(Reason),
}

/// Decides one scan and, when it moves the holder, changes `whereabouts` and the
/// zones' counts accordingly.
pub fn step(scan: &ZoneScan, whereabouts: &mut Whereabouts, zones: &mut HashMap<i64, ZoneState>) -> Step {
    let target = match target(scan, whereabouts, zones) {
        Ok(target) => target,
        Err(reason) => return Step::Refused(reason),
    };
    let warning = match target.and_then(|zone| zones.get(&zone)) {
        Some(zone) if zone.is_full() && zone.when_full == WhenFull::Refuse => {
            return Step::Refused(Reason::ZoneFull(zone.name.clone()))
        }
        Some(zone) if zone.is_full() => Some(Reason::ZoneFullWarning(zone.name.clone())),
        _ => None,
    };
    let movement = walk(scan, whereabouts, target, zones);
    Step::Moved { movement, warning }
}

/// Where the scan takes its holder (None: outside, or the event in no zone), or why not.
type Target = Result<Option<i64>, Reason>;

fn target(scan: &ZoneScan, at: &Whereabouts, zones: &HashMap<i64, ZoneState>) -> Target {
    let inside = at.inside_since.is_some();
    let name = |zone: i64| zones.get(&zone).map(|z| z.name.clone()).unwrap_or_default();
    match (scan.direction, scan.passage) {
        (Direction::In, None) if inside => Err(already_inside(at)),
        (Direction::In, None) => entering(scan, at).map(|()| None),
        (Direction::In, Some(passage)) => {
            if inside && at.zone == Some(passage.to) {
                return Err(already_inside(at));
            }
            let from_there = match passage.from {
                None if inside => return Err(already_inside(at)),
                None => true,
                Some(from) => inside && at.zone == Some(from),
            };
            if !from_there && scan.mismatch == ZoneMismatch::Refuse {
                return Err(Reason::NotInZone(passage.from.map(name).unwrap_or_default()));
            }
            if !inside {
                entering(scan, at)?;
            }
            lets_in(scan, passage.to, zones).map(Some)
        }
        (Direction::Out, _) if !inside => Err(Reason::NotInside),
        (Direction::Out, None) => Ok(None),
        (Direction::Out, Some(passage)) => {
            if at.zone != Some(passage.to) && scan.mismatch == ZoneMismatch::Refuse {
                return Err(Reason::NotInZone(name(passage.to)));
            }
            match passage.from {
                Some(from) => lets_in(scan, from, zones).map(Some),
                None => Ok(None),
            }
        }
    }
}

/// An entry into the event from outside, under its entry rules.
fn entering(scan: &ZoneScan, at: &Whereabouts) -> Result<(), Reason> {
    let bound = scan.entry.entered_before(scan.scanned_at);
    match at.last_entered_at {
        Some(last) if last >= bound => Err(scan.entry.refusal().unwrap_or_else(|| already_inside(at))),
        _ => Ok(()),
    }
}

/// The zone, if it lets in the scan's ticket type.
fn lets_in(scan: &ZoneScan, zone: i64, zones: &HashMap<i64, ZoneState>) -> Result<i64, Reason> {
    match zones.get(&zone) {
        Some(state) if !state.types.is_empty() && !state.types.contains(&scan.ticket_type_id) => {
            Err(Reason::TypeNotAllowedInZone(state.name.clone()))
        }
        _ => Ok(zone),
    }
}

fn already_inside(at: &Whereabouts) -> Reason {
    Reason::AlreadyInside(Admitted {
        at: at.inside_since.unwrap_or_default(),
        gate: at.gate_name.clone(),
    })
}

/// Moves the holder to `target` (an entry keeps `target` in the event, an exit to None
/// leaves it) and the zones' counts with them.
fn walk(scan: &ZoneScan, at: &mut Whereabouts, target: Option<i64>, zones: &mut HashMap<i64, ZoneState>) -> Movement {
    let was_inside = at.inside_since.is_some();
    let stays_inside = scan.direction == Direction::In || scan.passage.is_some_and(|p| p.from.is_some());
    let movement = Movement {
        inside: i64::from(stays_inside) - i64::from(was_inside),
        from: at.zone,
        to: target,
    };
    if let Some(zone) = movement.from.and_then(|zone| zones.get_mut(&zone)) {
        zone.inside -= 1;
    }
    if let Some(zone) = movement.to.and_then(|zone| zones.get_mut(&zone)) {
        zone.inside += 1;
    }
    match stays_inside {
        true => {
            if !was_inside {
                at.inside_since = Some(scan.scanned_at);
                at.last_entered_at = Some(scan.scanned_at);
            }
            at.zone = target;
            at.gate_id = Some(scan.gate_id);
            at.gate_name = scan.gate_name.clone();
        }
        false => {
            at.inside_since = None;
            at.zone = None;
            at.gate_id = None;
            at.gate_name.clear();
        }
    }
    movement
}

#[cfg(test)]
#[path = "zone_rules_tests.rs"]
mod tests;
