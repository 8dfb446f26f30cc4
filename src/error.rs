//! The one error type of the web layer: each variant is an outcome with its status and
//! a message a person can act on. Pages and fragments get a small HTML page (the device
//! API answers with its own JSON error, `scanning::ApiError`).
//! Unexpected errors are logged in full and shown without detail.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("Sign in to continue")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// The request is fine but the thing it acts on is no longer in a state that allows
    /// it (e.g. voiding an order already cancelled).
    #[error("{0}")]
    Conflict(String),
    /// What the request names existed but is spent for good (a used or expired link).
    #[error("{0}")]
    Gone(String),
    /// A resource we depend on is briefly out of reach (the database is busy or down):
    /// the same request later may well succeed.
    #[error("{0}")]
    Unavailable(String),
    #[error("Something went wrong on our side")]
    Unexpected(#[source] anyhow::Error),
}

impl AppError {
    pub fn unexpected(e: impl Into<anyhow::Error>) -> Self {
        Self::Unexpected(e.into())
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Self::NotFound,
            other => Self::unexpected(other),
        }
    }
}

/// Database work for a page, a fragment or a live view, on the blocking pool
/// (`db::run_blocking`) with the web layer's error, so the work may refuse with any
/// `AppError`; a pool that stays busy is a 503.
pub async fn with_db<T, F>(pool: &crate::db::Pool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut crate::db::DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    crate::db::run_blocking(pool, work).await
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Busy(reason) => Self::Unavailable(format!("the database is busy: {reason}")),
            crate::db::DbError::Query(e) => e.into(),
            crate::db::DbError::Failed(e) => Self::Unexpected(e),
        }
    }
}

impl From<crate::auth::AuthError> for AppError {
    fn from(e: crate::auth::AuthError) -> Self {
        use crate::auth::AuthError;
        match e {
            AuthError::SignedOut => Self::Unauthorized,
            AuthError::Refused(message) => Self::Forbidden(message),
            AuthError::BadForm(message) => Self::BadRequest(message),
            AuthError::NotFound => Self::NotFound,
            AuthError::EnrolFirst => Self::Forbidden(e.to_string()),
            AuthError::Busy(reason) => Self::Unavailable(reason),
            AuthError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<crate::forms::InvalidField> for AppError {
    fn from(e: crate::forms::InvalidField) -> Self {
        Self::BadRequest(e.0)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unexpected(e) => tracing::error!(error = ?e, "unexpected error"),
            Self::Unavailable(reason) => tracing::warn!(%reason, "service unavailable"),
            _ => {}
        }
        crate::http_error::html_error(self.status_code(), &self.to_string())
    }
}
