//! Why the plumbing of "who is asking" refused a request: no session, a form that did
//! not come from this site, an event that is not theirs, too many sign-ins at once, or the database out of reach.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;
use crate::http_error::html_error;
use crate::paths;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Sign in to continue")]
    SignedOut,
    /// Signed in, but not allowed (a role, or a form without this session's CSRF token).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    BadForm(String),
    /// An event (or what belongs to one) outside the user's events: answered exactly as
    /// another organisation's, so its existence does not leak.
    #[error("Not found")]
    NotFound,
    /// The organisation requires two-factor sign-in of the user's role and they have
    /// none: every page but the enrolment sends them there.
    #[error("Set up two-factor sign-in to continue")]
    EnrolFirst,
    /// Briefly out of reach (the database, the password checks): try again shortly.
    #[error("{0}")]
    Busy(String),
    #[error("Something went wrong on our side")]
    Unexpected(#[source] anyhow::Error),
}

impl From<DbError> for AuthError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Busy(reason) => Self::Busy(format!("the database is busy: {reason}")),
            other => Self::Unexpected(other.into()),
        }
    }
}

impl From<diesel::result::Error> for AuthError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignedOut => StatusCode::UNAUTHORIZED,
            Self::Refused(_) => StatusCode::FORBIDDEN,
            Self::BadForm(_) => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::EnrolFirst => StatusCode::SEE_OTHER,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unexpected(e) => tracing::error!(error = ?e, "unexpected error"),
            Self::Busy(reason) => tracing::warn!(%reason, "service unavailable"),
            Self::EnrolFirst => return enrol_first(),
            _ => {}
        }
        html_error(self.status_code(), &self.to_string())
    }
}

/// To the enrolment page: a 303, and for htmx a full navigation there.
fn enrol_first() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, paths::TWO_FACTOR))
        .insert_header(("HX-Redirect", paths::TWO_FACTOR))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
