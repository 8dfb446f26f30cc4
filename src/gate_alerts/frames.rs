//! The alert lists as live views: one rendered frame per event and kind of viewer
//! (those who may acknowledge and those who may not; each kiosk gate), redrawn on
//! every `AlertChanged` of the event and every `NEW_FOR_MS`, so a new alert's
//! announcement ends without anything else changing.

use std::time::Duration;

use chrono_tz::Tz;
use futures_util::Stream;

use super::queries::open_alerts;
use super::views::{self, AlertsView};
use crate::db::{self, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::live::{channel_frames, frame, render_with, Channel, Frame, Hub, Render};
use crate::panels::{PanelName, Panels};
use crate::ui::components::panel_unavailable;

/// Whose alerts a view shows and how.
#[derive(Clone, Copy, Debug)]
pub struct AlertScope {
    pub tenant: Tenant,
    pub event_id: i64,
    pub timezone: Tz,
    /// A kiosk of one gate shows only that gate's alerts.
    pub gate_id: Option<i64>,
}

/// The event's open alerts as the scope shows them, now.
pub async fn load_alerts(pool: &Pool, scope: AlertScope) -> Result<Vec<super::OpenAlert>, AppError> {
    let AlertScope {
        tenant,
        event_id,
        gate_id,
        ..
    } = scope;
    let alerts = with_db(pool, move |conn| Ok(open_alerts(conn, &tenant, &[event_id])?)).await?;
    Ok(alerts
        .into_iter()
        .filter(|alert| gate_id.is_none_or(|gate| alert.gate_id == gate))
        .collect())
}

/// The monitor's alert list, live (`gate-alerts`), as "unavailable" while it cannot be read.
pub fn monitor_alert_frames(
    hub: &Hub,
    (pool, panels): (&Pool, &Panels),
    scope: AlertScope,
    can_acknowledge: bool,
) -> impl Stream<Item = Frame> {
    let view = if can_acknowledge {
        "alerts-acknowledge"
    } else {
        "alerts"
    };
    let render = render_with((pool.clone(), panels.clone()), move |(pool, panels)| async move {
        let alerts = panels.load(PanelName::GateAlerts, load_alerts(&pool, scope)).await;
        let html = match alerts.ready() {
            Some(alerts) => views::alert_list(&AlertsView {
                alerts,
                timezone: &scope.timezone,
                now: db::now_ms(),
                can_acknowledge,
            }),
            None => panel_unavailable(),
        };
        Ok(frame(views::ALERTS_SSE_EVENT, html.into_string()))
    });
    alert_frames(hub, scope, view, render)
}

/// A kiosk's alert lines, live (`kiosk-alerts`).
pub fn kiosk_alert_frames(hub: &Hub, pool: &Pool, scope: AlertScope) -> impl Stream<Item = Frame> {
    let view = format!("kiosk-alerts-gate-{}", scope.gate_id.unwrap_or(0));
    let render = render_with(pool.clone(), move |pool| async move {
        let alerts = load_alerts(&pool, scope).await?;
        let view = AlertsView {
            alerts: &alerts,
            timezone: &scope.timezone,
            now: db::now_ms(),
            can_acknowledge: false,
        };
        Ok(frame(
            views::KIOSK_ALERTS_SSE_EVENT,
            views::kiosk_alerts(&view).into_string(),
        ))
    });
    alert_frames(hub, scope, &view, render)
}

/// The frames of one view of the event's alerts, redrawn on each change and while an
/// alert is new.
fn alert_frames(hub: &Hub, scope: AlertScope, view: &str, render: Render) -> impl Stream<Item = Frame> {
    let channel = Channel::alerts(&scope.tenant, scope.event_id);
    let redraw = Duration::from_millis(views::NEW_FOR_MS.unsigned_abs());
    channel_frames(hub.subscribe_with_clock(channel, view, render, Some(redraw)))
}
