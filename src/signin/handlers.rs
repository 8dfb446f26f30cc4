//! `GET/POST /login`, `POST /logout`, `POST /logout/everywhere`.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::cookies::{render_login, safe_next, signed_in, signed_out, LOGIN_CSRF_COOKIE};
use super::credentials::{self, Attempt, SignIn};
use super::sessions;
use crate::auth::queries::Credentials;
use crate::auth::{constant_time_eq, session_cookie_name, token_hash, EnrolmentForm, PasswordChecks};
use crate::config::Settings;
use crate::db::Pool;
use crate::error::AppError;
use crate::live::Bus;
use crate::{client, forms, paths};

#[derive(Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
}

pub async fn login_page(req: HttpRequest, query: web::Query<LoginQuery>) -> HttpResponse {
    let next = safe_next(query.next.as_deref());
    render_login(&req, StatusCode::OK, "", &next, None)
}

#[derive(Deserialize)]
pub struct LoginFields {
    email: String,
    password: String,
    csrf_token: Option<String>,
    next: Option<String>,
}

pub async fn login(
    req: HttpRequest,
    fields: web::Form<LoginFields>,
    pool: web::Data<Pool>,
    passwords: web::Data<PasswordChecks>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let fields = fields.into_inner();
    let email = forms::printable(fields.email.trim(), "The e-mail address")?.to_lowercase();
    let next = safe_next(fields.next.as_deref());
    if !login_form_is_ours(&req, fields.csrf_token.as_deref()) {
        let message = "The sign-in form expired. Please try again.";
        return Ok(render_login(&req, StatusCode::FORBIDDEN, &email, &next, Some(message)));
    }
    let address = client::address_text(&req);
    let attempt = Attempt { email, address };
    match credentials::check(&pool, &passwords, &attempt, fields.password).await? {
        SignIn::Accepted(user) => {
            let ttl_ms = i64::try_from(settings.session_ttl.as_millis()).unwrap_or(i64::MAX);
            let token = sessions::open(&pool, &user, previous_session(&req), ttl_ms, &attempt.address).await?;
            Ok(signed_in(&req, token, &after_password(&user, next)))
        }
        refused => Ok(refused_sign_in(&req, refused, &attempt.email, &next).await),
    }
}

/// Where a right password lands: the code step first for a user with two-factor
/// sign-in (keeping `next` for after it).
fn after_password(user: &Credentials, next: String) -> String {
    match user.two_factor_on {
        true => paths::login_code(&next),
        false => next,
    }
}

/// The hash of the session token this browser already holds, if any.
fn previous_session(req: &HttpRequest) -> Option<String> {
    req.cookie(session_cookie_name(req)).map(|c| token_hash(c.value()))
}

/// The sign-in form's CSRF token matches its cookie: the form came from this site.
fn login_form_is_ours(req: &HttpRequest, presented: Option<&str>) -> bool {
    let cookie = req.cookie(LOGIN_CSRF_COOKIE);
    matches!((cookie, presented), (Some(c), Some(f)) if constant_time_eq(c.value(), f))
}

/// The form again, saying why; each failure in a row answers slower, to blunt guessing.
async fn refused_sign_in(req: &HttpRequest, refused: SignIn, email: &str, next: &str) -> HttpResponse {
    let (status, message) = match refused {
        SignIn::Rejected(failures) => {
            let delay = 200 * failures.clamp(0, 10) as u64;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            (
                StatusCode::UNAUTHORIZED,
                "That email and password do not match an account.",
            )
        }
        _ => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed sign-ins from here. Wait 15 minutes and try again.",
        ),
    };
    render_login(req, status, email, next, Some(message))
}

/// Signing out needs a signed-in session and its CSRF token (checked by
/// `EnrolmentForm`: a user who owes two-factor enrolment may sign out too). The
/// session's open live streams end too.
pub async fn logout(
    req: HttpRequest,
    signed_in: EnrolmentForm<serde::de::IgnoredAny>,
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = req.cookie(session_cookie_name(&req)) {
        sessions::end(&pool, bus.as_ref(), &signed_in.user, token_hash(cookie.value())).await?;
    }
    Ok(signed_out(&req))
}

/// "Sign out everywhere": every session of the user ends, with its live streams, on
/// every instance.
pub async fn logout_everywhere(
    req: HttpRequest,
    signed_in: EnrolmentForm<serde::de::IgnoredAny>,
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
) -> Result<HttpResponse, AppError> {
    sessions::end_everywhere(&pool, bus.as_ref(), &signed_in.user).await?;
    Ok(signed_out(&req))
}
