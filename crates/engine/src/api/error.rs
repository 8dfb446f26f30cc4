//! The device API's one error type: each outcome with its status, answered as JSON
//! (`{"error": "…"}`), with `Retry-After` where the device should send again.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::db::DbError;

/// Errors of the JSON device API: the same kinds of outcome, as `{"error": "…"}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing, unknown or revoked device token")]
    Unauthorized,
    #[error("no such API endpoint")]
    NotFound,
    /// What the request names is not there (a pairing link nobody made).
    #[error("{0}")]
    Missing(String),
    /// What the request names is spent for good (a used or expired pairing link).
    #[error("{0}")]
    Gone(String),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// Nothing was recorded; the device should send the same request again shortly.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Unexpected(#[source] anyhow::Error),
}

/// The database's refusals as the device sees them: busy is a 503 the device retries
/// (nothing was recorded), a row that is not there means the device is not known.
impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Busy(reason) => Self::Unavailable(format!("the database is busy: {reason}")),
            DbError::Query(diesel::result::Error::NotFound) => Self::Unauthorized,
            DbError::Query(e) => Self::Unexpected(e.into()),
            DbError::Failed(e) => Self::Unexpected(e),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Missing(_) => StatusCode::NOT_FOUND,
            Self::Gone(_) => StatusCode::GONE,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unexpected(e) => tracing::error!(error = ?e, "unexpected API error"),
            Self::Unavailable(reason) => tracing::warn!(%reason, "device API unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(serde_json::json!({ "error": self.to_string() }))
    }
}
