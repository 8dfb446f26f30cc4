//! A scan's direction and its result, as stored (`scans.direction`, `scans.result`) and
//! sent to devices.

use diesel::sql_types::Text;
use diesel::{AsExpression, FromSqlRow};
use serde::{Deserialize, Serialize};

use crate::stored_as_text;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, AsExpression, FromSqlRow)]
#[serde(rename_all = "lowercase")]
#[diesel(sql_type = Text)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    #[inline]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

impl std::str::FromStr for Direction {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "in" => Ok(Self::In),
            "out" => Ok(Self::Out),
            _ => Err(format!("unknown scan direction {raw:?}")),
        }
    }
}

impl Direction {
    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        raw.parse()
    }
}

stored_as_text!(Direction);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, AsExpression, FromSqlRow)]
#[serde(rename_all = "lowercase")]
#[diesel(sql_type = Text)]
pub enum ScanResult {
    Valid,
    Duplicate,
    Invalid,
}

impl ScanResult {
    pub const ALL: [Self; 3] = [Self::Valid, Self::Duplicate, Self::Invalid];

    #[inline]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Duplicate => "duplicate",
            Self::Invalid => "invalid",
        }
    }
}

impl std::str::FromStr for ScanResult {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        match raw {
            "valid" => Ok(Self::Valid),
            "duplicate" => Ok(Self::Duplicate),
            "invalid" => Ok(Self::Invalid),
            _ => Err(format!("unknown scan result {raw:?}")),
        }
    }
}

impl ScanResult {
    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        raw.parse()
    }
}

stored_as_text!(ScanResult);
