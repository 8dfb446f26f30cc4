//! Optional fields of GET forms and query strings: a select's "all" option sends an
//! empty value, which means "not given".

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

/// A form field that is not what it should be: the message names the field and says
/// what it should be (a page answers it with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidField(pub String);

impl InvalidField {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// The field's trimmed value, or None when it is missing or empty.
pub fn given(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|v| !v.is_empty())
}

/// An optional id field (`what` names it in the error): None when not given.
pub fn optional_id(raw: Option<&str>, what: &str) -> Result<Option<i64>, InvalidField> {
    given(raw)
        .map(|v| {
            v.parse()
                .map_err(|_| InvalidField::new(format!("{what} must be a {what} id")))
        })
        .transpose()
}

/// An optional day field (`YYYY-MM-DD`; `what` names it in the error).
pub fn parse_day(raw: Option<&str>, what: &str) -> Result<Option<NaiveDate>, InvalidField> {
    given(raw)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| InvalidField::new(format!("The {what} date must be a date like 2026-11-25.")))
        })
        .transpose()
}

/// The first instant of `day` in `tz` (the earliest one when the clocks go back, the
/// first after the gap when midnight does not exist).
pub fn start_of_day(day: NaiveDate, tz: &Tz) -> Result<i64, InvalidField> {
    let out_of_range = || InvalidField::new("The date is out of range.");
    (0..3)
        .filter_map(|hour| day.and_hms_opt(hour, 0, 0))
        .find_map(|local| tz.from_local_datetime(&local).earliest())
        .map(|t| t.timestamp_millis())
        .ok_or_else(out_of_range)
}

/// Refuses text holding control characters (NUL and the rest of C0, DEL, C1): they
/// are never part of a name, an e-mail address, a code or a search, and some break a
/// backend (PostgreSQL refuses NUL in text). `what` names the field in the error.
pub fn printable<'a>(value: &'a str, what: &str) -> Result<&'a str, InvalidField> {
    match value.chars().any(char::is_control) {
        true => Err(InvalidField::new(format!("{what} must not contain control characters"))),
        false => Ok(value),
    }
}
