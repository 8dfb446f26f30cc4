//! `GET/POST /login/code`: the second step of signing in for a user with two-factor
//! sign-in. Only the session waiting for its code (`PendingSignIn`) reaches it; a right
//! code (or an unused recovery code) turns it into a full session under a new token.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_lab::FromRequest;
use serde::Deserialize;

use super::code_check::{check_code, CodeAttempt, CodeCheck, Expect};
use super::cookies::{safe_next, signed_in};
use super::handlers::LoginQuery;
use super::sessions;
use super::views::{code_page, CodeForm};
use crate::auth::two_factor::{EnteredCode, PendingSignIn};
use crate::auth::AuthError;
use crate::client;
use crate::config::Settings;
use crate::db::Pool;
use crate::error::{with_db, AppError};

/// What the second sign-in step needs.
#[derive(FromRequest)]
pub struct SignInServices {
    pool: web::Data<Pool>,
    settings: web::Data<Settings>,
}

pub async fn show_code_step(pending: PendingSignIn, query: web::Query<LoginQuery>) -> HttpResponse {
    let next = safe_next(query.next.as_deref());
    render(StatusCode::OK, &pending, &next, None)
}

#[derive(Deserialize)]
pub struct CodeFields {
    /// Optional here, so a form without it is answered after the session is proved
    /// (401 without one), as an empty code is: 400.
    code: Option<String>,
    csrf_token: Option<String>,
    next: Option<String>,
}

pub async fn submit_code(
    req: HttpRequest,
    pending: PendingSignIn,
    fields: web::Form<CodeFields>,
    SignInServices { pool, settings }: SignInServices,
) -> Result<HttpResponse, AppError> {
    let fields = fields.into_inner();
    let next = safe_next(fields.next.as_deref());
    pending.require_csrf(fields.csrf_token.as_deref())?;
    let entered = match EnteredCode::parse(fields.code.as_deref().unwrap_or_default()) {
        Ok(entered) => entered,
        Err(AuthError::BadForm(why)) => return Ok(render(StatusCode::BAD_REQUEST, &pending, &next, Some(&why))),
        Err(other) => return Err(other.into()),
    };
    let address = client::address_text(&req);
    match check(&pool, &pending, &address, entered).await? {
        CodeCheck::Accepted { recovery } => {
            let token = promote(&pool, &settings, &pending, &address, recovery).await?;
            Ok(signed_in(&req, token, &next))
        }
        refused => Ok(refused_code(&pending, refused, &next).await),
    }
}

/// The entered code against the user's app or recovery codes (throttled per user and
/// address).
async fn check(
    pool: &Pool,
    pending: &PendingSignIn,
    address: &str,
    entered: EnteredCode,
) -> Result<CodeCheck, AppError> {
    let who = CodeAttempt {
        tenant: pending.tenant(),
        user_id: pending.user_id,
        address: address.to_owned(),
    };
    with_db(pool, move |conn| check_code(conn, &who, &entered, Expect::Enrolled)).await
}

/// The pending sign-in becomes a session, its audit line saying how it was proven.
async fn promote(
    pool: &Pool,
    settings: &Settings,
    pending: &PendingSignIn,
    address: &str,
    recovery: bool,
) -> Result<String, AppError> {
    let ttl_ms = i64::try_from(settings.session_ttl.as_millis()).unwrap_or(i64::MAX);
    let with = if recovery { "a recovery code" } else { "an app's code" };
    sessions::promote(pool, pending, ttl_ms, format!("from {address}, with {with}")).await
}

/// The form again, saying why; each wrong code in a row answers slower.
async fn refused_code(pending: &PendingSignIn, refused: CodeCheck, next: &str) -> HttpResponse {
    let (status, message) = match refused {
        CodeCheck::Wrong(failures) => {
            let delay = 200 * failures.clamp(0, 10) as u64;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            (StatusCode::UNAUTHORIZED, "That code is not right, or was used already.")
        }
        _ => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many wrong codes. Wait 15 minutes and try again.",
        ),
    };
    render(status, pending, next, Some(message))
}

fn render(status: StatusCode, pending: &PendingSignIn, next: &str, message: Option<&str>) -> HttpResponse {
    let page = code_page(&CodeForm {
        csrf_token: &pending.csrf_token,
        next,
        message,
    });
    HttpResponse::build(status)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(page.into_string())
}
