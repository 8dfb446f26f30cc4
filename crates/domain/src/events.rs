//! An event's time zone and its entry policy, as stored.

use chrono_tz::Tz;
use diesel::sql_types::Text;

/// An IANA time zone (`Europe/Amsterdam`), as stored in `events.timezone` and
/// `organizations.timezone`. Derefs to `chrono_tz::Tz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct TimeZone(pub Tz);

crate::stored_as_text!(TimeZone);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(Tz::UTC);

    /// A zone by its IANA name, or why the name is not one.
    pub fn parse(name: &str) -> Result<Self, String> {
        name.parse::<Tz>()
            .map(Self)
            .map_err(|_| format!("unknown time zone {name:?}: use an IANA name such as Europe/Amsterdam"))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.name()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        Self::parse(raw)
    }
}

impl std::ops::Deref for TimeZone {
    type Target = Tz;

    fn deref(&self) -> &Tz {
        &self.0
    }
}

/// Who may come in again, per event (`events.entry_policy`); decided at the gate by
/// `scanning::admission::rules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum EntryPolicy {
    /// After an exit the ticket is valid again.
    Reentry,
    /// One entry only: an entry after an exit is refused.
    NoReentry,
    /// One entry per calendar day in the event's time zone.
    OncePerDay,
}

crate::stored_as_text!(EntryPolicy);

impl EntryPolicy {
    pub const ALL: [EntryPolicy; 3] = [Self::Reentry, Self::NoReentry, Self::OncePerDay];

    /// As stored, and as forms, the CLI and the audit log spell it.
    #[inline]
    pub fn as_stored(&self) -> &'static str {
        match self {
            Self::Reentry => "reentry",
            Self::NoReentry => "no-reentry",
            Self::OncePerDay => "once-per-day",
        }
    }

    /// In words, for the console.
    #[inline]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Reentry => "Re-entry allowed",
            Self::NoReentry => "No re-entry",
            Self::OncePerDay => "Once per day",
        }
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        raw.parse()
    }
}

impl std::str::FromStr for EntryPolicy {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|policy| policy.as_stored() == raw)
            .ok_or_else(|| format!("entry policy must be reentry, no-reentry or once-per-day, not {raw:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_survives_its_stored_form_and_an_unknown_one_is_refused() {
        let zone = TimeZone(chrono_tz::Europe::Amsterdam);
        assert_eq!(zone.as_stored(), "Europe/Amsterdam");
        assert_eq!(TimeZone::from_stored(zone.as_stored()), Ok(zone));
        assert!(TimeZone::from_stored("Mars/Olympus_Mons").is_err());
        assert!(TimeZone::from_stored("").is_err());
    }

    #[test]
    fn an_entry_policy_survives_its_stored_form_and_an_unknown_one_is_refused() {
        for policy in EntryPolicy::ALL {
            assert_eq!(EntryPolicy::from_stored(policy.as_stored()), Ok(policy));
        }
        assert_eq!("no-reentry".parse(), Ok(EntryPolicy::NoReentry));
        assert!("sometimes".parse::<EntryPolicy>().is_err());
    }
}
