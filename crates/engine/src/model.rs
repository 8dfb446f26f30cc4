//! The scanning domain: which way a scan goes, what was decided and why, the device a
//! scan came from, a scan as the device sends it and as it was recorded, and a
//! device's status on the monitor. Directions and results are stored by name
//! (`stored_as_text!`), so a loaded row is one of these states or an error.

use crate::domain::TicketStatus;
pub use crate::domain::{Direction, ScanResult};

/// Where and when the holder of a ticket was let in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub at: i64,
    pub gate: String,
}

/// Why a scan was not valid. Stored as its message (`scans.reason`), which is what
/// devices and the scan log show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    UnknownCode,
    OtherEvent,
    /// A refunded or cancelled ticket.
    Ticket(TicketStatus),
    TypeNotAllowed,
    /// An exit of a ticket that is not inside.
    NotInside,
    /// An entry of a ticket that is inside already.
    AlreadyInside(Admitted),
    /// An entry after an exit, where the event allows no re-entry.
    NoReentry,
    /// A second entry on one day, where the event allows one a day.
    AlreadyEnteredToday,
    /// A passage out of a zone the holder is not in, where the event refuses such scans.
    NotInZone(String),
    /// An entry into a zone at capacity whose owner chose to refuse.
    ZoneFull(String),
    /// Valid, but into a zone at capacity whose owner chose to warn: said beside the answer.
    ZoneFullWarning(String),
    /// A ticket type the zone does not let in.
    TypeNotAllowedInZone(String),
}

impl Reason {
    /// Only a ticket already inside is a duplicate; every other refusal is invalid.
    pub fn result(&self) -> ScanResult {
        match self {
            Self::AlreadyInside(_) => ScanResult::Duplicate,
            _ => ScanResult::Invalid,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::UnknownCode => "unknown ticket code".into(),
            Self::OtherEvent => "ticket is for another event".into(),
            Self::Ticket(status) => status.refusal().unwrap_or("ticket is not valid").into(),
            Self::TypeNotAllowed => "ticket type not allowed at this gate".into(),
            Self::NotInside => "not inside: no entry to exit from".into(),
            Self::NoReentry => "no re-entry".into(),
            Self::AlreadyEnteredToday => "already entered today".into(),
            Self::NotInZone(zone) => format!("not in {zone}"),
            Self::ZoneFull(zone) => format!("zone full: {zone}"),
            Self::ZoneFullWarning(zone) => format!("{zone} full"),
            Self::TypeNotAllowedInZone(zone) => format!("ticket type not allowed in {zone}"),
            Self::AlreadyInside(admitted) => format!(
                "already inside: admitted at {}, {}",
                admitted.gate,
                crate::db::format_utc(admitted.at)
            ),
        }
    }
}

/// What a valid scan did to who is where: the event's inside count changes by
/// `inside` (+1 an entry from outside, -1 an exit to outside, 0 a move between zones),
/// and the holder left zone `from` for zone `to` (None: outside, or inside in no zone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Movement {
    pub inside: i64,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Movement {
    /// A scan at a gate that names no zones: outside <-> the event.
    pub fn plain(direction: Direction) -> Self {
        let inside = match direction {
            Direction::In => 1,
            Direction::Out => -1,
        };
        Self {
            inside,
            from: None,
            to: None,
        }
    }
}

/// The scanning device a scan came from, and the gate and event it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateDevice {
    pub device_id: i64,
    pub gate_id: i64,
    pub event_id: i64,
}

/// One scan as the device reports it.
#[derive(Clone, Debug)]
pub struct ScanAttempt {
    pub device_scan_id: String,
    pub ticket_code: String,
    pub direction: Direction,
    pub scanned_at: i64,
}

/// What was decided for one scan, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedScan {
    pub scan_id: i64,
    pub result: ScanResult,
    pub reason: Option<String>,
    /// For a duplicate: when and where the holder was admitted.
    pub admitted: Option<Admitted>,
    /// True when this scan id had been recorded before: nothing new was counted.
    pub replayed: bool,
    /// True when this scan id had been recorded before for another ticket code: this
    /// scan was refused and not recorded (the device API answers it 409).
    pub conflict: bool,
    /// For a new valid scan: who moved where (what the counters count).
    pub moved: Option<Movement>,
}

impl RecordedScan {
    /// What a scan id reused for another ticket gets: nothing recorded, nothing counted.
    pub const CONFLICT: &str = "scan id already used for another ticket";

    pub fn conflict() -> Self {
        Self {
            scan_id: 0,
            result: ScanResult::Invalid,
            reason: Some(Self::CONFLICT.into()),
            admitted: None,
            replayed: true,
            conflict: true,
            moved: None,
        }
    }
}

/// A device heard from within this long is online.
pub const ONLINE_WINDOW_MS: i64 = 60_000;

/// A device as the monitor sees it, from when it was last heard from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    Online { seen: i64 },
    Offline { since: i64 },
    NeverSeen,
}

impl DeviceStatus {
    pub fn of(last_seen: Option<i64>, now: i64) -> Self {
        match last_seen {
            Some(seen) if now - seen <= ONLINE_WINDOW_MS => Self::Online { seen },
            Some(since) => Self::Offline { since },
            None => Self::NeverSeen,
        }
    }

    pub fn is_online(&self) -> bool {
        matches!(self, Self::Online { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_as_the_states_they_were_written_from() {
        for direction in [Direction::In, Direction::Out] {
            assert_eq!(direction.as_str().parse::<Direction>().ok(), Some(direction));
        }
        for result in ScanResult::ALL {
            assert_eq!(result.as_str().parse::<ScanResult>().ok(), Some(result));
        }
        assert!("sideways".parse::<Direction>().is_err());
        assert!("Valid".parse::<ScanResult>().is_err());
    }

    #[test]
    fn only_a_ticket_already_inside_is_a_duplicate() {
        let inside = Reason::AlreadyInside(Admitted {
            at: 0,
            gate: "North".into(),
        });
        assert_eq!(inside.result(), ScanResult::Duplicate);
        assert_eq!(
            inside.message(),
            "already inside: admitted at North, 1970-01-01 00:00:00 UTC"
        );
        assert_eq!(Reason::Ticket(TicketStatus::Refunded).result(), ScanResult::Invalid);
        assert_eq!(
            Reason::Ticket(TicketStatus::Cancelled).message(),
            "ticket was cancelled"
        );
    }

    #[test]
    fn a_device_is_online_for_a_minute_after_it_was_heard_from() {
        assert!(DeviceStatus::of(Some(1_000), 1_000 + ONLINE_WINDOW_MS).is_online());
        assert_eq!(
            DeviceStatus::of(Some(1_000), 1_001 + ONLINE_WINDOW_MS),
            DeviceStatus::Offline { since: 1_000 }
        );
        assert_eq!(DeviceStatus::of(None, 5), DeviceStatus::NeverSeen);
    }
}
