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
