//! The sign-in screen's cookies and answers: the session cookie, the sign-in form's
//! CSRF cookie, where to go after signing in (`safe_next`) and the rendered form.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

use super::views::{login_page, LoginForm};
use crate::auth::{random_token, session_cookie_name};
use crate::{client, paths};

/// Cookie for the sign-in form's CSRF token, before any session exists.
pub const LOGIN_CSRF_COOKIE: &str = "vg_login_csrf";

/// The sign-in form with a fresh CSRF token (also set as its cookie).
pub fn render_login(
    req: &HttpRequest,
    status: StatusCode,
    email: &str,
    next: &str,
    message: Option<&str>,
) -> HttpResponse {
    let csrf_token = random_token();
    let page = login_page(&LoginForm {
        csrf_token: &csrf_token,
        email,
        next,
        message,
    });
    let cookie = Cookie::build(LOGIN_CSRF_COOKIE, csrf_token.clone())
        .path(paths::LOGIN)
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

/// Signed in: the session cookie set, the sign-in form's CSRF cookie gone, on to `next`.
pub fn signed_in(req: &HttpRequest, token: String, next: &str) -> HttpResponse {
    let mut login_csrf = Cookie::build(LOGIN_CSRF_COOKIE, "").path(paths::LOGIN).finish();
    login_csrf.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next.to_owned()))
        .cookie(session_cookie(req, token))
        .cookie(login_csrf)
        .finish()
}

/// Signed out: the session cookie removed, back to the sign-in page.
pub fn signed_out(req: &HttpRequest) -> HttpResponse {
    let mut gone = session_cookie(req, String::new());
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, paths::LOGIN))
        .cookie(gone)
        .finish()
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
pub fn safe_next(next: Option<&str>) -> String {
    let Some(path) = next else {
        return paths::EVENTS.to_owned();
    };
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if is_same_site_path(path) && is_same_site_path(&decoded) {
        path.to_owned()
    } else {
        paths::EVENTS.to_owned()
    }
}

fn is_same_site_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}
