//! Optional fields of GET forms and query strings: a select's "all" option sends an
//! empty value, which means "not given".

use crate::error::AppError;

/// The field's trimmed value, or None when it is missing or empty.
pub fn given(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|v| !v.is_empty())
}

/// An optional id field (`what` names it in the error): None when not given.
pub fn optional_id(raw: Option<&str>, what: &str) -> Result<Option<i64>, AppError> {
    given(raw)
        .map(|v| {
            v.parse()
                .map_err(|_| AppError::bad_request(format!("{what} must be a {what} id")))
        })
        .transpose()
}

/// Refuses text holding control characters (NUL and the rest of C0, DEL, C1): they
/// are never part of a name, an e-mail address, a code or a search, and some break a
/// backend (PostgreSQL refuses NUL in text). `what` names the field in the error.
pub fn printable<'a>(value: &'a str, what: &str) -> Result<&'a str, AppError> {
    match value.chars().any(char::is_control) {
        true => Err(AppError::bad_request(format!(
            "{what} must not contain control characters"
        ))),
        false => Ok(value),
    }
}
