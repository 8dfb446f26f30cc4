//! `GET/POST /login`, `POST /logout`, `POST /logout/everywhere`.

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::queries::{self, Credentials};
use super::session::{app_state, constant_time_eq, session_cookie_name};
use super::throttle::{self, Verdict};
use super::views::{login_page as login_view, LoginForm};
use super::{hash_password, random_token, token_hash, CsrfForm, CurrentUser};
use crate::app::AppState;
use crate::audit::{self, Action, Entry, Subject};
use crate::db::Tenant;
use crate::error::AppError;
use crate::live::{Channel, Update, UpdateKind};
use crate::{client, db};

/// Cookie for the sign-in form's CSRF token, before any session exists.
const LOGIN_CSRF_COOKIE: &str = "vg_login_csrf";

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
    let attempt = Attempt {
        email,
        address: client::address_text(&req),
    };
    match check_credentials(&state, &attempt, fields.password).await? {
        SignIn::Accepted(user) => start_session(&req, &state, &user, &attempt.address, &next).await,
        SignIn::Throttled => {
            let message = "Too many failed sign-ins from here. Wait 15 minutes and try again.";
            let page = render_login(
                &req,
                StatusCode::TOO_MANY_REQUESTS,
                &attempt.email,
                &next,
                Some(message),
            );
            Ok(page)
        }
        SignIn::Rejected(failures) => {
            // Each failure in a row makes the next answer slower, to blunt guessing.
            let delay = 200 * failures.clamp(0, 10) as u64;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let message = "That email and password do not match an account.";
            let page = render_login(&req, StatusCode::UNAUTHORIZED, &attempt.email, &next, Some(message));
            Ok(page)
        }
    }
}

/// Signing out needs a signed-in session and its CSRF token (checked by `CsrfForm`).
/// The session's open live streams end too.
pub async fn logout(req: HttpRequest, signed_in: CsrfForm<serde::de::IgnoredAny>) -> Result<HttpResponse, AppError> {
    let user = signed_in.user;
    if let Some(cookie) = req.cookie(session_cookie_name(&req)) {
        let hash = token_hash(cookie.value());
        let state = app_state(&req)?;
        let (tenant, user_id) = (user.tenant(), user.user_id);
        db::run(&state.pool, move |conn| {
            db::write_transaction(conn, |conn| {
                queries::delete_session(conn, &hash)?;
                audit_user(conn, &tenant, Action::SignOut, user_id, "this session")
            })?;
            Ok(())
        })
        .await?;
        announce_session_end(state, &user);
    }
    Ok(signed_out(&req))
}

/// "Sign out everywhere": every session of the user ends, with its live streams, on
/// every instance.
pub async fn logout_everywhere(
    req: HttpRequest,
    signed_in: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    let user = signed_in.user;
    let state = app_state(&req)?;
    let (tenant, user_id) = (user.tenant(), user.user_id);
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            let ended = queries::delete_user_sessions(conn, user_id)?;
            let details = format!("{ended} sessions");
            audit_user(conn, &tenant, Action::SignOutEverywhere, user_id, &details)
        })?;
        Ok(())
    })
    .await?;
    announce_session_end(state, &user);
    Ok(signed_out(&req))
}

fn signed_out(req: &HttpRequest) -> HttpResponse {
    let mut gone = session_cookie(req, String::new());
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(gone)
        .finish()
}

/// Tells the user's open streams (on every instance, through the bus) to check whether
/// their session still exists.
fn announce_session_end(state: &AppState, user: &CurrentUser) {
    state.bus.publish(Update {
        channel: Channel::sessions(&user.tenant(), user.user_id),
        kind: UpdateKind::SessionEnded,
    });
}

/// Who tries to sign in, from where.
struct Attempt {
    email: String,
    address: String,
}

enum SignIn {
    Accepted(Credentials),
    Rejected(i64),
    Throttled,
}

/// Admits the attempt past the throttle (`throttle::admit`), checks the password off
/// the database pool (`PasswordChecks`), then records the outcome: no connection is
/// held while argon2 runs.
async fn check_credentials(state: &AppState, attempt: &Attempt, password: String) -> Result<SignIn, AppError> {
    let (email, address) = (attempt.email.clone(), attempt.address.clone());
    let (verdict, credentials) = db::run(&state.pool, move |conn| {
        let verdict = throttle::admit(conn, &email, &address, db::now_ms())?;
        let credentials = match verdict {
            Verdict::Throttled => None,
            Verdict::Admitted { .. } => queries::find_credentials(conn, &email)?,
        };
        Ok((verdict, credentials))
    })
    .await?;
    let Verdict::Admitted { attempt_id, failures } = verdict else {
        return Ok(SignIn::Throttled);
    };
    // Verify against a real hash even for unknown emails so timing does not tell
    // which half was wrong.
    let stored = credentials
        .as_ref()
        .map_or_else(|| unknown_user_hash().to_owned(), |c| c.password_hash.clone());
    let matches = state.passwords.verify(password, stored).await?;
    let (email, address) = (attempt.email.clone(), attempt.address.clone());
    db::run(&state.pool, move |conn| {
        let succeeded = matches && credentials.is_some();
        throttle::settle(conn, attempt_id, &email, &address, succeeded)?;
        match credentials {
            Some(c) if succeeded => Ok(SignIn::Accepted(c)),
            Some(c) => {
                let tenant = Tenant::authenticated(c.organization_id);
                audit_user(
                    conn,
                    &tenant,
                    Action::SignInFailed,
                    c.user_id,
                    &format!("from {address}"),
                )?;
                Ok(SignIn::Rejected(failures))
            }
            None => Ok(SignIn::Rejected(failures)),
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
    state: &AppState,
    user: &Credentials,
    address: &str,
    next: &str,
) -> Result<HttpResponse, AppError> {
    // A fresh token at every sign-in: a session id planted before sign-in is worthless.
    let token = random_token();
    let hash = token_hash(&token);
    let previous = req.cookie(session_cookie_name(req)).map(|c| token_hash(c.value()));
    let ttl = i64::try_from(state.settings.session_ttl.as_millis()).unwrap_or(i64::MAX);
    let (user_id, tenant) = (user.user_id, Tenant::authenticated(user.organization_id));
    let details = format!("from {address}");
    db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            if let Some(previous) = previous {
                queries::delete_session(conn, &previous)?;
            }
            let now = db::now_ms();
            queries::create_session(conn, user_id, &hash, &random_token(), now, now.saturating_add(ttl))?;
            audit_user(conn, &tenant, Action::SignIn, user_id, &details)
        })?;
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

fn audit_user(
    conn: &mut db::DbConnection,
    tenant: &Tenant,
    action: Action,
    user_id: i64,
    details: &str,
) -> diesel::QueryResult<()> {
    let entry = Entry {
        action,
        user_id: Some(user_id),
        subject: Subject::User(user_id),
        details,
    };
    audit::record(conn, tenant, &entry, db::now_ms())
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
        .secure(client::is_secure(req))
        .finish();
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .content_type("text/html; charset=utf-8")
        .body(page.into_string())
}

/// `__Host-vg_session` (Secure, path `/`, no domain) when served securely; plain
/// `vg_session` on plain-HTTP localhost, where a `__Host-` cookie could not be set.
fn session_cookie(req: &HttpRequest, token: String) -> Cookie<'static> {
    Cookie::build(session_cookie_name(req), token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(client::is_secure(req))
        .finish()
}

/// Only same-site paths: `next` must never send a user to another host. A browser
/// reads `//host`, `/\host` and a path with a tab or newline in it (which it strips) as
/// another host, so those are refused, also once percent-decoded; so is anything that
/// is not visible ASCII.
fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/events";
    let Some(path) = next else { return HOME.to_owned() };
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if is_same_site_path(path) && is_same_site_path(&decoded) {
        path.to_owned()
    } else {
        HOME.to_owned()
    }
}

fn is_same_site_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}
