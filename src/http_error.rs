//! How every refusal of a page or fragment is answered, whichever layer refuses: the
//! status, a message a person can act on, and the headers that go with the status.
//! `htmx::flash_errors` reads the message again to show it inside the page.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

use crate::paths;
use crate::ui::layout;

/// The message of an error response, kept beside its body so that an htmx request can
/// be answered with just the message (see `htmx::flash_errors`).
#[derive(Clone, Debug)]
pub struct ErrorMessage(pub String);

/// The error page for `status`, never cached. A 503 says when to try again; a 401 sends
/// htmx to the sign-in page with a full navigation.
pub fn html_error(status: StatusCode, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, "2"));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header(("HX-Redirect", paths::LOGIN));
    }
    let mut response = response
        .content_type("text/html; charset=utf-8")
        .body(layout::error_page(status, message).into_string());
    response.extensions_mut().insert(ErrorMessage(message.to_owned()));
    response
}
