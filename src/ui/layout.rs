//! The page shell every screen shares, and the error page.

use actix_web::http::StatusCode;
use maud::{html, Markup, DOCTYPE};

use super::assets;
use crate::paths;

/// Who is looking at the page, as the header shows them.
pub struct Viewer<'a> {
    pub name: &'a str,
    pub organization: &'a str,
    pub csrf_token: &'a str,
    /// Owners also see the audit log.
    pub is_owner: bool,
}

/// htmx settings the Content-Security-Policy needs: htmx would otherwise add a `<style>`
/// element for its indicators and evaluate `hx-on`/`js:` attributes. Error responses
/// are swapped too: the server retargets them into `#flash` (see `htmx::flash_errors`).
/// No settle delay: htmx wires swapped-in `sse-swap` targets only when it settles, so a
/// frame arriving in those 20 ms (the scan log's first row after a redraw) was lost.
const HTMX_CONFIG: &str = concat!(
    r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"defaultSettleDelay":0,"#,
    r#""responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},"#,
    r#"{"code":"[45]..","swap":true,"error":true},{"code":"...","swap":false}]}"#
);

/// The document head every page shares: styles, htmx, its SSE extension and app.js.
fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            link rel="icon" href=(assets::url("icon.svg")) type="image/svg+xml";
            link rel="stylesheet" href=(assets::url("app.css"));
            // Before htmx loads: no injected indicator styles and no eval, as the CSP asks.
            meta name="htmx-config" content=(HTMX_CONFIG);
            script src=(assets::url("htmx.min.js")) defer {}
            script src=(assets::url("sse.min.js")) defer {}
            script src=(assets::url("app.js")) defer {}
        }
    }
}

/// A full HTML page. `viewer` is None on the sign-in and error pages.
pub fn page(title: &str, viewer: Option<&Viewer>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("{title} · Voelgoed")))
            // htmx sends the session's CSRF token with every request it makes.
            body hx-headers=[viewer.map(|v| format!(r#"{{"X-CSRF-Token":"{}"}}"#, v.csrf_token))] {
                header.top {
                    a.brand href=(paths::EVENTS) { "Voelgoed" }
                    @if let Some(viewer) = viewer {
                        nav aria-label="Main" {
                            a href=(paths::EVENTS) { "Events" } a href=(paths::ORDERS) { "Orders" }
                        }
                        // The account's and the organisation's links fold away: on a phone the page starts
                        // at once.
                        details.account {
                            summary { (viewer.name) }
                            div.account-menu {
                                p { (viewer.name) " · " (viewer.organization) }
                                @if viewer.is_owner {
                                    a href=(paths::TEAM) { "Team" } a href=(paths::AUDIT_LOG) { "Audit log" } a href=(paths::WEBHOOKS) { "Webhooks" }
                                }
                                a href=(paths::TWO_FACTOR) { "Two-factor sign-in" }
                                form method="post" action=(paths::LOGOUT) {
                                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                                    button type="submit" { "Sign out" }
                                }
                                form method="post" action=(paths::LOGOUT_EVERYWHERE) {
                                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                                    button type="submit" { "Sign out everywhere" }
                                }
                            }
                        }
                    }
                }
                // Why an htmx request was refused; emptied by the next one that succeeds.
                div id="flash" role="alert" {}
                main id="main" { (body) }
            }
        }
    }
}

/// A full-screen, dark page without navigation, for kiosk displays read across a room.
pub fn kiosk_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("{title} · Voelgoed kiosk")))
            body.kiosk-screen { main { (body) } }
        }
    }
}

/// The page for any 4xx/5xx: what happened and where to go next.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        title,
        None,
        html! {
            section.notice.error role="alert" {
                h1 { (title) }
                p { (message) }
                p { a href=(paths::EVENTS) { "Back to your events" } " · " a href=(paths::LOGIN) { "Sign in" } }
            }
        },
    )
}
