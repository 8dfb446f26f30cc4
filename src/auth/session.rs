//! The request extractors that prove a session (`CurrentUser`) and a CSRF-checked form
//! posted within it (`CsrfForm`).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{queries, token_hash, Role};
use crate::app::AppState;
use crate::db::{self, Tenant};
use crate::error::AppError;
use crate::ui::layout::Viewer;

pub const SESSION_COOKIE: &str = "vg_session";
/// Header htmx sends the CSRF token in (set once with `hx-headers` on `<body>`).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// A signed-in user with a live session.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user_id: i64,
    pub name: String,
    pub organization_name: String,
    pub role: Role,
    pub csrf_token: String,
    tenant: Tenant,
}

impl CurrentUser {
    /// The organisation this user acts for: the only way page handlers get a tenant.
    pub fn tenant(&self) -> Tenant {
        self.tenant
    }

    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            name: &self.name,
            organization: &self.organization_name,
            csrf_token: &self.csrf_token,
        }
    }

    pub fn require_owner(&self) -> Result<(), AppError> {
        match self.role {
            Role::Owner => Ok(()),
            Role::Supervisor => Err(AppError::Forbidden("Only an organisation owner can do this.".into())),
        }
    }

    async fn from_cookie(req: &HttpRequest) -> Result<Self, AppError> {
        let state = app_state(req)?;
        let token = req.cookie(SESSION_COOKIE).ok_or(AppError::Unauthorized)?;
        let hash = token_hash(token.value());
        let row = db::run(&state.pool, move |conn| {
            Ok(queries::find_session_user(conn, &hash, db::now_ms())?)
        })
        .await?
        .ok_or(AppError::Unauthorized)?;
        let role =
            Role::parse(&row.role).ok_or_else(|| AppError::unexpected(anyhow::anyhow!("unknown role {}", row.role)))?;
        Ok(Self {
            user_id: row.user_id,
            name: row.name,
            organization_name: row.organization_name,
            role,
            csrf_token: row.csrf_token,
            tenant: Tenant::authenticated(row.organization_id),
        })
    }
}

pub fn app_state(req: &HttpRequest) -> Result<&web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::unexpected(anyhow::anyhow!("application state is not configured")))
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::from_cookie(&req).await })
    }
}

/// A form posted by a signed-in user whose CSRF token (form field `csrf_token`, or the
/// `X-CSRF-Token` header for htmx) matches their session's.
pub struct CsrfForm<T> {
    pub user: CurrentUser,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    csrf_token: Option<String>,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let user = CurrentUser::from_cookie(&req).await?;
            let body = body
                .await
                .map_err(|e| AppError::bad_request(format!("Cannot read the form: {e}")))?;
            let field: CsrfField = serde_urlencoded::from_bytes(&body).unwrap_or(CsrfField { csrf_token: None });
            let presented = field.csrf_token.or_else(|| {
                req.headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            });
            if !presented.is_some_and(|token| constant_time_eq(&token, &user.csrf_token)) {
                return Err(AppError::Forbidden(
                    "This form has expired or did not come from this site. Reload the page and try again.".into(),
                ));
            }
            let form =
                serde_urlencoded::from_bytes(&body).map_err(|e| AppError::bad_request(format!("Invalid form: {e}")))?;
            Ok(Self { user, form })
        })
    }
}

/// Compares secrets without returning early at the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
