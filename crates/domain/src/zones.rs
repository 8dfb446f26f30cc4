//! Zones as stored: what a full zone's entry passages do, and what a scan that assumes
//! the holder is in a zone they are not in does (`zones.when_full`, `events.zone_mismatch`).

use diesel::sql_types::Text;

/// What a zone's entry passages answer once it is at capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum WhenFull {
    /// Valid, with "VIP deck full" beside it.
    Warn,
    /// Refused: "zone full: VIP deck".
    Refuse,
}

crate::stored_as_text!(WhenFull);

impl WhenFull {
    pub const ALL: [WhenFull; 2] = [Self::Warn, Self::Refuse];

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::Refuse => "refuse",
        }
    }

    /// In words, for the console.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Warn => "Let in and warn",
            Self::Refuse => "Refuse entry",
        }
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        raw.parse()
    }
}

impl std::str::FromStr for WhenFull {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|rule| rule.as_stored() == raw)
            .ok_or_else(|| format!("when full must be warn or refuse, not {raw:?}"))
    }
}

/// What a scan does that assumes its holder is in a zone they are not in (a VIP deck
/// entry from the arena of someone never scanned into the arena).
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum ZoneMismatch {
    /// Let them through and correct the count: they are where the scan says.
    Admit,
    /// Refuse: "not in Arena".
    Refuse,
}

crate::stored_as_text!(ZoneMismatch);

impl ZoneMismatch {
    pub const ALL: [ZoneMismatch; 2] = [Self::Admit, Self::Refuse];

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        match self {
            Self::Admit => "admit",
            Self::Refuse => "refuse",
        }
    }

    /// In words, for the console.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Admit => "Let through and correct the count",
            Self::Refuse => "Refuse (\"not in Arena\")",
        }
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        raw.parse()
    }
}

impl std::str::FromStr for ZoneMismatch {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|rule| rule.as_stored() == raw)
            .ok_or_else(|| format!("zone mismatch must be admit or refuse, not {raw:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_read_back_as_written_and_unknown_words_are_refused() {
        for rule in WhenFull::ALL {
            assert_eq!(WhenFull::from_stored(rule.as_stored()), Ok(rule));
        }
        for rule in ZoneMismatch::ALL {
            assert_eq!(ZoneMismatch::from_stored(rule.as_stored()), Ok(rule));
        }
        assert!(WhenFull::from_stored("ignore").is_err());
        assert!(ZoneMismatch::from_stored("").is_err());
    }
}
