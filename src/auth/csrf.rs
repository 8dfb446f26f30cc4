//! Forms posted within a session, checked against its CSRF token: `CsrfForm` for every
//! page, and `EnrolmentForm` for the one page a user who owes two-factor enrolment may
//! use; `Enrolling` is that page's signed-in user.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::session::Owing;
use super::{constant_time_eq, AuthError, CurrentUser};

/// Header htmx sends the CSRF token in (set once with `hx-headers` on `<body>`).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// A form posted by a signed-in user whose CSRF token (form field `csrf_token`, or the
/// `X-CSRF-Token` header for htmx) matches their session's.
pub struct CsrfForm<T> {
    pub user: CurrentUser,
    pub form: T,
}

/// The same, from a user who may still owe two-factor enrolment: the enrolment page's.
pub struct EnrolmentForm<T> {
    pub user: CurrentUser,
    pub form: T,
}

/// A signed-in user who may still owe two-factor enrolment: the enrolment page's.
pub struct Enrolling(pub CurrentUser);

#[derive(Deserialize)]
struct CsrfField {
    csrf_token: Option<String>,
}

type Checked<T> = Pin<Box<dyn Future<Output = Result<(CurrentUser, T), AuthError>>>>;

/// The user (`owing` says whether one owing enrolment will do) and the form, once its
/// CSRF token is theirs.
fn checked_form<T: DeserializeOwned + 'static>(req: &HttpRequest, payload: &mut Payload, owing: Owing) -> Checked<T> {
    let req = req.clone();
    let body = web::Bytes::from_request(&req, payload);
    Box::pin(async move {
        let user = CurrentUser::load(&req, owing).await?;
        let body = body
            .await
            .map_err(|e| AuthError::BadForm(format!("Cannot read the form: {e}")))?;
        let field: CsrfField = serde_urlencoded::from_bytes(&body).unwrap_or(CsrfField { csrf_token: None });
        let presented = field.csrf_token.or_else(|| {
            req.headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        if !presented.is_some_and(|token| constant_time_eq(&token, &user.csrf_token)) {
            return Err(AuthError::Refused(
                "This form has expired or did not come from this site. Reload the page and try again.".into(),
            ));
        }
        let form = serde_urlencoded::from_bytes(&body).map_err(|e| AuthError::BadForm(format!("Invalid form: {e}")))?;
        Ok((user, form))
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = checked_form(req, payload, Owing::Refused);
        Box::pin(async move { checked.await.map(|(user, form)| Self { user, form }) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for EnrolmentForm<T> {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = checked_form(req, payload, Owing::Allowed);
        Box::pin(async move { checked.await.map(|(user, form)| Self { user, form }) })
    }
}

impl FromRequest for Enrolling {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { CurrentUser::load(&req, Owing::Allowed).await.map(Self) })
    }
}
