//! `GET/POST /login`, `POST /logout`.

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::session::{app_state, constant_time_eq, SESSION_COOKIE};
use super::views::{login_page as login_view, LoginForm};
use super::{hash_password, queries, random_token, token_hash, CsrfForm};
use crate::app::AppState;
use crate::db;
use crate::error::AppError;

/// Cookie for the sign-in form's CSRF token, before any session exists.
const LOGIN_CSRF_COOKIE: &str = "vg_login_csrf";
/// Failed sign-ins per email within the window before we refuse for a while.
const MAX_FAILURES: i64 = 5;
const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
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

pub async fn login(req: HttpRequest, fields: web::Form<LoginFields>) -> Result<HttpResponse, AppError> {
    let fields = fields.into_inner();
    let email = crate::forms::printable(fields.email.trim(), "The e-mail address")?.to_lowercase();
    let next = safe_next(fields.next.as_deref());
    let cookie_token = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    let csrf_ok = matches!((&cookie_token, &fields.csrf_token), (Some(c), Some(f)) if constant_time_eq(c, f));
    if !csrf_ok {
        let message = "The sign-in form expired. Please try again.";
        return Ok(render_login(&req, StatusCode::FORBIDDEN, &email, &next, Some(message)));
    }
    let state = app_state(&req)?.clone();
    match check_credentials(&state, email.clone(), fields.password).await? {
        SignIn::Accepted(user_id) => start_session(&req, &state, user_id, &next).await,
        SignIn::Throttled => {
            let message = "Too many failed sign-ins for this account. Wait 15 minutes and try again.";
            Ok(render_login(
                &req,
                StatusCode::TOO_MANY_REQUESTS,
                &email,
                &next,
                Some(message),
            ))
        }
        SignIn::Rejected(failures) => {
            // Each failure in a row makes the next answer slower, to blunt guessing.
            let delay = 200 * failures.clamp(0, 10) as u64;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let message = "That email and password do not match an account.";
            Ok(render_login(
                &req,
                StatusCode::UNAUTHORIZED,
                &email,
                &next,
                Some(message),
            ))
        }
    }
}

/// Signing out needs a signed-in session and its CSRF token (checked by `CsrfForm`).
pub async fn logout(req: HttpRequest, _signed_in: CsrfForm<serde::de::IgnoredAny>) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        let hash = token_hash(cookie.value());
        let state = app_state(&req)?;
        db::run(&state.pool, move |conn| Ok(queries::delete_session(conn, &hash)?)).await?;
    }
    let mut gone = session_cookie(&req, String::new());
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(gone)
        .finish())
}

enum SignIn {
    Accepted(i64),
    Rejected(i64),
    Throttled,
}

/// Reads the account and its recent failures, checks the password off the database
/// pool (`PasswordChecks`), then records the outcome: no connection is held while
/// argon2 runs.
async fn check_credentials(state: &AppState, email: String, password: String) -> Result<SignIn, AppError> {
    let now = db::now_ms();
    let lookup = email.clone();
    let (failures, credentials) = db::run(&state.pool, move |conn| {
        let failures = queries::count_failures_since(conn, &lookup, now - FAILURE_WINDOW_MS)?;
        let credentials = match failures >= MAX_FAILURES {
            true => None,
            false => queries::find_credentials(conn, &lookup)?,
        };
        Ok((failures, credentials))
    })
    .await?;
    if failures >= MAX_FAILURES {
        return Ok(SignIn::Throttled);
    }
    // Verify against a real hash even for unknown emails so timing does not tell
    // which half was wrong.
    let stored = credentials
        .as_ref()
        .map_or_else(|| unknown_user_hash().to_owned(), |c| c.password_hash.clone());
    let matches = state.passwords.verify(password, stored).await?;
    db::run(&state.pool, move |conn| match credentials {
        Some(c) if matches => {
            queries::clear_failures(conn, &email)?;
            Ok(SignIn::Accepted(c.user_id))
        }
        _ => {
            queries::record_failure(conn, &email, now)?;
            Ok(SignIn::Rejected(failures + 1))
        }
    })
    .await
}

/// An Argon2id hash of a random string nobody knows, made once per process.
fn unknown_user_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

async fn start_session(
    req: &HttpRequest,
    state: &crate::app::AppState,
    user_id: i64,
    next: &str,
) -> Result<HttpResponse, AppError> {
    // A fresh token at every sign-in: a session id planted before sign-in is worthless.
    let token = random_token();
    let hash = token_hash(&token);
    let previous = req.cookie(SESSION_COOKIE).map(|c| token_hash(c.value()));
    let ttl = i64::try_from(state.settings.session_ttl.as_millis()).unwrap_or(i64::MAX);
    db::run(&state.pool, move |conn| {
        if let Some(previous) = previous {
            queries::delete_session(conn, &previous)?;
        }
        let now = db::now_ms();
        queries::create_session(conn, user_id, &hash, &random_token(), now, now.saturating_add(ttl))?;
        Ok(())
    })
    .await?;
    let mut login_csrf = Cookie::build(LOGIN_CSRF_COOKIE, "").path("/login").finish();
    login_csrf.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next.to_owned()))
        .cookie(session_cookie(req, token))
        .cookie(login_csrf)
        .finish())
}

fn render_login(req: &HttpRequest, status: StatusCode, email: &str, next: &str, message: Option<&str>) -> HttpResponse {
    let csrf_token = random_token();
    let page = login_view(&LoginForm {
        csrf_token: &csrf_token,
        email,
        next,
        message,
    });
    let cookie = Cookie::build(LOGIN_CSRF_COOKIE, csrf_token.clone())
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_secure(req))
        .finish();
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .content_type("text/html; charset=utf-8")
        .body(page.into_string())
}

fn session_cookie(req: &HttpRequest, token: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_secure(req))
        .finish()
}

fn is_secure(req: &HttpRequest) -> bool {
    let forced = app_state(req).map(|s| s.settings.secure_cookies).unwrap_or(false);
    forced || req.connection_info().scheme() == "https"
}

/// Only same-site paths: `next` must never send a user to another host.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/events".to_owned(),
    }
}
