//! Zones as the console knows them, and the checks a zone, a passage and a headcount
//! pass before anything is stored: each refusal is a sentence a form can show.

use std::collections::HashMap;

use crate::domain::WhenFull;

/// The most people a zone can be set to hold, or a headcount can say.
pub const MOST_PEOPLE: i64 = 10_000_000;

/// A zone of an event, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
    pub when_full: WhenFull,
    /// Tickets in the zone now (the gate engine's count).
    pub inside: i64,
    /// What headcounts added on top.
    pub correction: i64,
    /// The ticket types it lets in; empty: every type.
    pub types: Vec<i64>,
}

/// A zone's name, capacity, full rule and ticket types, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSettings {
    pub name: String,
    pub capacity: i64,
    pub when_full: WhenFull,
    pub types: Vec<i64>,
}

impl ZoneSettings {
    /// Checks what a form gave.
    pub fn parse(name: &str, capacity: &str, when_full: &str, types: Vec<i64>) -> Result<Self, String> {
        Self::new(name, people(capacity, "capacity", 1)?, when_full.trim().parse()?, types)
    }

    /// Checks a zone's name and capacity.
    pub fn new(name: &str, capacity: i64, when_full: WhenFull, types: Vec<i64>) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err("a zone needs a name of 1 to 60 characters".into());
        }
        if !(1..=MOST_PEOPLE).contains(&capacity) {
            return Err(format!(
                "the capacity must be a whole number from 1 to {MOST_PEOPLE}, not {capacity}"
            ));
        }
        Ok(Self {
            name: name.to_string(),
            capacity,
            when_full,
            types,
        })
    }
}

/// A whole number of people between `least` and `MOST_PEOPLE`.
pub fn people(raw: &str, what: &str, least: i64) -> Result<i64, String> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (least..=MOST_PEOPLE).contains(&n) => Ok(n),
        _ => Err(format!(
            "the {what} must be a whole number from {least} to {MOST_PEOPLE}, not {:?}",
            raw.trim()
        )),
    }
}

/// Where a gate leads: from a zone (None: outside) into a zone; None as a whole: the
/// gate names no zones (outside ↔ the event).
pub type PassageBetween = Option<(Option<i64>, i64)>;

/// Checks a gate's new passage against the event's zones and its other gates' passages:
/// both ends are the event's zones, not one zone twice, and no loop (walking in from
/// the new passage's zone must not lead back to where it starts).
pub fn check_passage(
    passage: PassageBetween,
    zones: &[Zone],
    others: impl IntoIterator<Item = (Option<i64>, i64)>,
) -> Result<(), String> {
    let Some((from, to)) = passage else {
        return Ok(());
    };
    let known = |zone: i64| zones.iter().any(|z| z.id == zone);
    if !known(to) || from.is_some_and(|from| !known(from)) {
        return Err("a passage leads between zones of this event".into());
    }
    let Some(from) = from else {
        return Ok(());
    };
    if from == to {
        return Err("a passage leads from one zone to another, not into itself".into());
    }
    let mut onward: HashMap<i64, Vec<i64>> = HashMap::new();
    for (other_from, other_to) in others {
        if let Some(other_from) = other_from {
            onward.entry(other_from).or_default().push(other_to);
        }
    }
    let (mut seen, mut waiting) = (vec![to], vec![to]);
    while let Some(zone) = waiting.pop() {
        for &next in onward.get(&zone).into_iter().flatten() {
            if next == from {
                return Err("that passage would make a loop: its zones already lead into each other".into());
            }
            if !seen.contains(&next) {
                seen.push(next);
                waiting.push(next);
            }
        }
    }
    Ok(())
}

/// The last headcount of a zone, as its gauge says it until the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrectionMark {
    pub at: i64,
    pub by: String,
    /// Counted less shown, when it was entered.
    pub drift: i64,
}

/// An event's zones as stored, with their last headcounts and the gates' passages.
#[derive(Debug, Default)]
pub struct EventZones {
    pub zones: Vec<Zone>,
    pub marks: HashMap<i64, CorrectionMark>,
    /// Each zoned gate's passage in words, by gate id.
    pub passages: HashMap<i64, String>,
}

/// A gate of an event and where it leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatePassage {
    pub gate_id: i64,
    pub name: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl EventZones {
    /// The zones with their last headcounts, and the gates' passages in words.
    pub fn of(zones: Vec<Zone>, marks: HashMap<i64, CorrectionMark>, gates: &[GatePassage]) -> Self {
        Self {
            passages: passages_in_words(gates, &zones),
            zones,
            marks,
        }
    }
}

/// Each zoned gate's passage in words ("outside → Arena"), by gate id.
fn passages_in_words(passages: &[GatePassage], zones: &[Zone]) -> HashMap<i64, String> {
    let name = |zone: Option<i64>| {
        zone.and_then(|id| zones.iter().find(|z| z.id == id))
            .map_or("outside", |z| z.name.as_str())
    };
    passages
        .iter()
        .filter(|gate| gate.to.is_some())
        .map(|gate| (gate.gate_id, format!("{} → {}", name(gate.from), name(gate.to))))
        .collect()
}

/// One zone's gauge on a live screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneGauge {
    pub id: i64,
    pub name: String,
    pub people: i64,
    pub capacity: i64,
    pub mark: Option<CorrectionMark>,
}

impl ZoneGauge {
    /// Per cent of capacity, for the meter and the alert levels.
    pub fn percent(&self) -> i64 {
        (self.people.max(0) * 100) / self.capacity.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: i64) -> Zone {
        Zone {
            id,
            name: format!("Zone {id}"),
            capacity: 10,
            when_full: WhenFull::Warn,
            inside: 0,
            correction: 0,
            types: vec![],
        }
    }

    #[test]
    fn a_zone_needs_a_name_and_a_capacity_above_nothing() {
        assert!(ZoneSettings::parse("Arena", "5000", "warn", vec![]).is_ok());
        assert!(ZoneSettings::parse("  ", "5000", "warn", vec![]).is_err());
        assert!(ZoneSettings::parse("Arena", "0", "warn", vec![]).is_err());
        assert!(ZoneSettings::parse("Arena", "-3", "warn", vec![]).is_err());
        assert!(ZoneSettings::parse("Arena", "lots", "warn", vec![]).is_err());
        assert!(ZoneSettings::parse("Arena", "10", "ignore", vec![]).is_err());
    }

    #[test]
    fn a_passage_into_itself_an_unknown_zone_or_a_loop_is_refused() {
        let zones = [zone(1), zone(2), zone(3)];
        assert!(check_passage(Some((None, 1)), &zones, []).is_ok());
        assert!(check_passage(Some((Some(1), 2)), &zones, [(None, 1)]).is_ok());
        assert!(check_passage(Some((Some(1), 1)), &zones, []).is_err());
        assert!(check_passage(Some((None, 9)), &zones, []).is_err());
        assert!(check_passage(Some((Some(9), 1)), &zones, []).is_err());
        // 1 -> 2 -> 3 exist: 3 -> 1 closes a loop.
        assert!(check_passage(Some((Some(3), 1)), &zones, [(Some(1), 2), (Some(2), 3)]).is_err());
        assert!(check_passage(Some((Some(2), 1)), &zones, [(Some(1), 2)]).is_err());
        assert!(check_passage(None, &zones, []).is_ok());
    }
}
