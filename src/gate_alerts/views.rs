//! How open alerts look: the scan monitor's list (kind in words, gate, when it started,
//! what holds, and an acknowledge button for those allowed) and the kiosk's big,
//! read-only lines. The same functions render the first load and every push; a push
//! shows at most `SHOWN` alerts, so it stays well under 2 KB.

use chrono_tz::Tz;
use maud::{html, Markup};

use super::model::OpenAlert;
use crate::paths;
use crate::ui::components::local_time;

/// SSE event (and `sse-swap` name) of the monitor's alert list and the kiosk's.
pub const ALERTS_SSE_EVENT: &str = "gate-alerts";
pub const KIOSK_ALERTS_SSE_EVENT: &str = "kiosk-alerts";
/// Id of the monitor's acknowledge form (it holds the CSRF token; the pushed buttons,
/// shared by every viewer, name it with `form=`).
pub const ACK_FORM_ID: &str = "alert-ack";
/// Alerts a list shows; the rest are counted.
pub const SHOWN: usize = 5;
/// An alert this young, not yet acknowledged, is announced (`role="alert"`); later
/// redraws of the list announce nothing.
pub const NEW_FOR_MS: i64 = 15_000;

/// What a list of alerts needs besides the alerts.
pub struct AlertsView<'a> {
    pub alerts: &'a [OpenAlert],
    pub timezone: &'a Tz,
    pub now: i64,
    /// The viewer may acknowledge: each unacknowledged alert gets its button.
    pub can_acknowledge: bool,
}

/// The monitor's alert list (pushed whole as `gate-alerts`).
pub fn alert_list(view: &AlertsView) -> Markup {
    let hidden = view.alerts.len().saturating_sub(SHOWN);
    html! {
        @if view.alerts.is_empty() { p.muted.no-alerts { "No open alerts." } }
        ul.gate-alerts {
            @for alert in view.alerts.iter().rev().take(SHOWN) {
                li.gate-alert.acknowledged[alert.is_acknowledged()] data-alert=(alert.id) data-kind=(alert.kind.as_stored()) {
                    // The role sits inside the item: a list holds only list items.
                    span role=[is_new(alert, view.now).then_some("alert")] {
                        strong { (alert.kind.title()) } " · Gate " (alert.gate)
                        " · since " (local_time(alert.started_at, view.timezone, "%H:%M"))
                        br; small { (alert.detail) }
                    }
                    @if alert.is_acknowledged() {
                        " " small.muted { "acknowledged" }
                    } @else if view.can_acknowledge {
                        " " button.ack type="submit" form=(ACK_FORM_ID)
                            formaction=(paths::alert_acknowledge(alert.event_id, alert.id)) { "Acknowledge" }
                    }
                }
            }
        }
        @if hidden > 0 { p.muted { "and " (hidden) " older open alerts" } }
    }
}

/// The form the acknowledge buttons submit: only on the page of a viewer allowed to.
pub fn acknowledge_form(csrf_token: &str) -> Markup {
    html! {
        form id=(ACK_FORM_ID) method="post" hidden { input type="hidden" name="csrf_token" value=(csrf_token); }
    }
}

/// A kiosk's alerts (its gate's, or the event's for a whole-event kiosk): big and
/// read-only.
pub fn kiosk_alerts(view: &AlertsView) -> Markup {
    html! {
        @for alert in view.alerts.iter().rev().take(SHOWN) {
            p.kiosk-alert data-alert=(alert.id) role=[is_new(alert, view.now).then_some("alert")] {
                strong { (alert.kind.title()) } " · Gate " (alert.gate)
                " · since " (local_time(alert.started_at, view.timezone, "%H:%M"))
                @if alert.is_acknowledged() { " · a supervisor knows" }
            }
        }
    }
}

fn is_new(alert: &OpenAlert, now: i64) -> bool {
    !alert.is_acknowledged() && now - alert.started_at < NEW_FOR_MS
}
