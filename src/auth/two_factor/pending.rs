//! The session between a correct password and the code: `PendingSignIn` proves it, and
//! only the code step asks for it. `CurrentUser` never accepts such a session.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use super::queries;
use crate::auth::{constant_time_eq, session_cookie_name, token_hash, AuthError};
use crate::db::{self, Pool, Tenant};

/// How long the code step waits after the password: ten minutes.
pub const PENDING_MS: i64 = 10 * 60 * 1000;

/// Someone who gave the right password of a user with two-factor sign-in, and owes
/// the code.
#[derive(Clone, Debug)]
pub struct PendingSignIn {
    pub session_id: i64,
    pub user_id: i64,
    pub email: String,
    pub csrf_token: String,
    organization_id: i64,
}

impl PendingSignIn {
    pub fn tenant(&self) -> Tenant {
        Tenant::authenticated(self.organization_id)
    }

    /// 403 unless the code form carries this session's CSRF token.
    pub fn require_csrf(&self, presented: Option<&str>) -> Result<(), AuthError> {
        match presented.is_some_and(|token| constant_time_eq(token, &self.csrf_token)) {
            true => Ok(()),
            false => Err(AuthError::Refused(
                "This form has expired or did not come from this site. Sign in again.".into(),
            )),
        }
    }

    async fn from_cookie(req: &HttpRequest) -> Result<Self, AuthError> {
        let pool = req
            .app_data::<web::Data<Pool>>()
            .cloned()
            .ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("the pool is not configured")))?;
        let token = req.cookie(session_cookie_name(req)).ok_or(AuthError::SignedOut)?;
        let hash = token_hash(token.value());
        let row = db::run_blocking(&pool, move |conn| -> Result<_, AuthError> {
            Ok(queries::find_pending_session(conn, &hash, db::now_ms())?)
        })
        .await?
        .ok_or(AuthError::SignedOut)?;
        Ok(Self {
            session_id: row.session_id,
            user_id: row.user_id,
            email: row.email,
            csrf_token: row.csrf_token,
            organization_id: row.organization_id,
        })
    }
}

impl FromRequest for PendingSignIn {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::from_cookie(&req).await })
    }
}
