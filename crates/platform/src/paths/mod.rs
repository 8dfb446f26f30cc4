//! Every URL of the console, once: the pattern the route table registers and the
//! function that views and redirects call to link to it. A unit test holds each pair
//! together, so a link can never point at a route that moved.

/// A URL pattern as actix-web routes it (`/orders/{id}`).
pub type Pattern = &'static str;

pub const HOME: Pattern = "/";
pub const HEALTHZ: Pattern = "/healthz";
pub const READYZ: Pattern = "/readyz";
/// Prometheus metrics: loopback clients, or a bearer of the metrics token.
pub const METRICS: Pattern = "/metrics";
pub const ASSET: Pattern = "/assets/{file}";

pub const LOGIN: Pattern = "/login";
pub const LOGOUT: Pattern = "/logout";
pub const LOGOUT_EVERYWHERE: Pattern = "/logout/everywhere";
/// The second step of signing in (two-factor sign-in's code).
pub const LOGIN_CODE: Pattern = "/login/code";
/// The user's own two-factor sign-in (`POST`: confirm the enrolment), and turning it off.
pub const TWO_FACTOR: Pattern = "/account/two-factor";
pub const TWO_FACTOR_DISABLE: Pattern = "/account/two-factor/disable";

pub const EVENTS: Pattern = "/events";
pub const EVENT_DASHBOARD: Pattern = "/events/{id}";
pub const EVENT_DASHBOARD_STREAM: Pattern = "/sse/events/{id}/occupancy";
pub const SCAN_MONITOR: Pattern = "/events/{id}/scans";
pub const SCAN_MONITOR_STREAM: Pattern = "/sse/events/{id}/scans";
/// `POST`: an owner sets the event's entry policy.
pub const ENTRY_POLICY: Pattern = "/events/{id}/entry-policy";
/// Every live event of the viewer's at once (the live part of `/events`).
pub const EVENTS_OVERVIEW_STREAM: Pattern = "/sse/events/overview";
pub const ALERT_ACKNOWLEDGE: Pattern = "/events/{id}/alerts/{alert}/acknowledge";
/// One ticket by its code (`?code=`), with its scan history: the door lookup.
pub const DOOR_LOOKUP: Pattern = "/events/{id}/door";
/// An event's zones: their gauges, headcounts and (for owners) their settings and the
/// gates' passages. `POST` adds a zone.
pub const ZONES: Pattern = "/events/{id}/zones";
/// `POST`: an owner changes a zone.
pub const ZONE: Pattern = "/events/{id}/zones/{zone}";
/// `POST`: a supervisor or owner enters a counted headcount for a zone.
pub const ZONE_HEADCOUNT: Pattern = "/events/{id}/zones/{zone}/headcount";
/// `POST`: an owner sets where a gate leads.
pub const GATE_PASSAGE: Pattern = "/events/{id}/gates/{gate}/passage";
/// `POST`: an owner sets what a scan assuming the wrong zone does.
pub const ZONE_MISMATCH: Pattern = "/events/{id}/zone-mismatch";
pub const KIOSK_LINKS: Pattern = "/events/{id}/kiosk-links";
pub const KIOSK_LINK_REVOKE: Pattern = "/events/{id}/kiosk-links/{link}/revoke";
pub const KIOSK: Pattern = "/kiosk/{token}";
/// `POST`: a supervisor or owner makes a single-use link that pairs a phone as a gate's
/// scanning device (`gate` in the form).
pub const DEVICE_PAIRINGS: Pattern = "/events/{id}/pairings";
pub const DEVICE_REVOKE: Pattern = "/events/{id}/devices/{device}/revoke";
/// A pairing link: `GET` asks, `POST` pairs this phone (the link's token is the capability).
pub const PAIR: Pattern = "/pair/{token}";
/// The steward's scanner: a page of its own, the console's one page with real JavaScript.
pub const SCANNER: Pattern = "/scanner";
/// The scanner page's service worker (its scope is `/scanner`).
pub const SCANNER_WORKER: Pattern = "/scanner-sw.js";
pub const KIOSK_STREAM: Pattern = "/kiosk/{token}/stream";

pub const ORDERS: Pattern = "/orders";
pub const ORDERS_CSV: Pattern = "/orders.csv";
pub const ORDERS_STREAM: Pattern = "/sse/orders";
pub const ORDER: Pattern = "/orders/{id}";
pub const ORDER_REFUND: Pattern = "/orders/{id}/refund";
pub const ORDER_VOID: Pattern = "/orders/{id}/void";
/// An order's tickets as QR codes, to print or to scan from a screen.
pub const ORDER_TICKETS: Pattern = "/orders/{id}/tickets";
pub const ORDER_RESEND_CONFIRMATION: Pattern = "/orders/{id}/resend-confirmation";
/// Bulk actions on orders: `POST` starts a job; each job has its page, stream and CSV.
pub const ORDER_JOBS: Pattern = "/orders/jobs";
pub const ORDER_JOB: Pattern = "/orders/jobs/{id}";
pub const ORDER_JOB_CSV: Pattern = "/orders/jobs/{id}/orders.csv";
pub const ORDER_JOB_CANCEL: Pattern = "/orders/jobs/{id}/cancel";
pub const ORDER_JOB_STREAM: Pattern = "/sse/orders/jobs/{id}";

pub const AUDIT_LOG: Pattern = "/audit";

/// The team page (owners): users, their roles and events; the two-factor policy.
pub const TEAM: Pattern = "/team";
pub const TEAM_ROLE: Pattern = "/team/{id}/role";
pub const TEAM_PASSWORD: Pattern = "/team/{id}/password";
pub const TEAM_DEACTIVATE: Pattern = "/team/{id}/deactivate";
pub const TEAM_REACTIVATE: Pattern = "/team/{id}/reactivate";
pub const TEAM_TWO_FACTOR: Pattern = "/team/two-factor";

pub const WEBHOOKS: Pattern = "/settings/webhooks";
pub const WEBHOOK: Pattern = "/settings/webhooks/{id}";
pub const WEBHOOK_DISABLE: Pattern = "/settings/webhooks/{id}/disable";
pub const WEBHOOK_ENABLE: Pattern = "/settings/webhooks/{id}/enable";
pub const WEBHOOK_DELETE: Pattern = "/settings/webhooks/{id}/delete";
pub const WEBHOOK_TEST: Pattern = "/settings/webhooks/{id}/test";

/// Where every live stream's URL starts (the stream guard counts them).
pub const LIVE_STREAMS: &str = "/sse/";

/// The device API's scope; its routes below are relative to it.
pub const API: Pattern = "/api/v1";
pub const API_SCANS: Pattern = "/scans";
pub const API_HEARTBEAT: Pattern = "/devices/heartbeat";
/// `GET`: the device the token belongs to (a scanner page checks it is still paired).
pub const API_DEVICE: Pattern = "/device";
/// `POST`: pairs the asking device with a pairing link's token (JSON).
pub const API_PAIR: Pattern = "/pair";
/// The device API as an OpenAPI 3.1 document.
pub const API_OPENAPI: Pattern = "/openapi.json";
/// `GET`: the device's event's tickets, hashed, for deciding offline.
pub const API_TICKETS: Pattern = "/tickets";

/// The code step, keeping where to land after it (`next`, percent-encoded).
pub fn login_code(next: &str) -> String {
    let next = percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
    format!("{LOGIN_CODE}?next={next}")
}

pub fn metrics() -> String {
    METRICS.to_owned()
}

pub fn asset(name: &str) -> String {
    format!("/assets/{name}")
}

pub fn event_dashboard(event: i64) -> String {
    format!("/events/{event}")
}

pub fn event_dashboard_stream(event: i64) -> String {
    format!("/sse/events/{event}/occupancy")
}

pub fn scan_monitor(event: i64) -> String {
    format!("/events/{event}/scans")
}

pub fn scan_monitor_stream(event: i64) -> String {
    format!("/sse/events/{event}/scans")
}

pub fn entry_policy(event: i64) -> String {
    format!("/events/{event}/entry-policy")
}

pub fn events_overview_stream() -> String {
    EVENTS_OVERVIEW_STREAM.to_owned()
}

pub fn zones(event: i64) -> String {
    format!("/events/{event}/zones")
}

pub fn zone(event: i64, zone: i64) -> String {
    format!("/events/{event}/zones/{zone}")
}

pub fn zone_headcount(event: i64, zone: i64) -> String {
    format!("/events/{event}/zones/{zone}/headcount")
}

pub fn gate_passage(event: i64, gate: i64) -> String {
    format!("/events/{event}/gates/{gate}/passage")
}

pub fn zone_mismatch(event: i64) -> String {
    format!("/events/{event}/zone-mismatch")
}

pub fn door_lookup(event: i64) -> String {
    format!("/events/{event}/door")
}

pub fn kiosk_links(event: i64) -> String {
    format!("/events/{event}/kiosk-links")
}

pub fn alert_acknowledge(event: i64, alert: i64) -> String {
    format!("/events/{event}/alerts/{alert}/acknowledge")
}

pub fn kiosk_link_revoke(event: i64, link: i64) -> String {
    format!("/events/{event}/kiosk-links/{link}/revoke")
}

pub fn device_pairings(event: i64) -> String {
    format!("/events/{event}/pairings")
}

pub fn device_revoke(event: i64, device: i64) -> String {
    format!("/events/{event}/devices/{device}/revoke")
}

pub fn pair(token: &str) -> String {
    format!("/pair/{token}")
}

pub fn kiosk(token: &str) -> String {
    format!("/kiosk/{token}")
}

pub fn kiosk_stream(token: &str) -> String {
    format!("/kiosk/{token}/stream")
}

/// The token of a kiosk stream's path (`KIOSK_STREAM`), for the stream limits.
pub fn kiosk_stream_token(path: &str) -> Option<&str> {
    let token = path.strip_prefix("/kiosk/")?.strip_suffix("/stream")?;
    (!token.is_empty() && !token.contains('/')).then_some(token)
}

pub fn order(order: i64) -> String {
    format!("/orders/{order}")
}

pub fn order_refund(order: i64) -> String {
    format!("/orders/{order}/refund")
}

pub fn order_tickets(order: i64) -> String {
    format!("/orders/{order}/tickets")
}

pub fn order_void(order: i64) -> String {
    format!("/orders/{order}/void")
}

pub fn order_resend_confirmation(order: i64) -> String {
    format!("/orders/{order}/resend-confirmation")
}

pub fn team_member_role(user: i64) -> String {
    format!("/team/{user}/role")
}

pub fn team_member_password(user: i64) -> String {
    format!("/team/{user}/password")
}

pub fn team_member_deactivate(user: i64) -> String {
    format!("/team/{user}/deactivate")
}

pub fn team_member_reactivate(user: i64) -> String {
    format!("/team/{user}/reactivate")
}

pub fn webhook(endpoint: i64) -> String {
    format!("/settings/webhooks/{endpoint}")
}

pub fn webhook_disable(endpoint: i64) -> String {
    format!("/settings/webhooks/{endpoint}/disable")
}

pub fn webhook_enable(endpoint: i64) -> String {
    format!("/settings/webhooks/{endpoint}/enable")
}

pub fn webhook_delete(endpoint: i64) -> String {
    format!("/settings/webhooks/{endpoint}/delete")
}

pub fn webhook_test(endpoint: i64) -> String {
    format!("/settings/webhooks/{endpoint}/test")
}

pub fn order_job(job: i64) -> String {
    format!("/orders/jobs/{job}")
}

pub fn order_job_csv(job: i64) -> String {
    format!("/orders/jobs/{job}/orders.csv")
}

pub fn order_job_cancel(job: i64) -> String {
    format!("/orders/jobs/{job}/cancel")
}

pub fn order_job_stream(job: i64) -> String {
    format!("/sse/orders/jobs/{job}")
}

/// `base` with a query string appended, when there is one.
pub fn with_query(base: &str, query: &str) -> String {
    match query.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{query}"),
    }
}

#[cfg(test)]
mod tests;
