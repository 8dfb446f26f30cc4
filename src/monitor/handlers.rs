//! `GET /events/{id}/scans` (the scan monitor) and `GET /sse/events/{id}/scans`.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse, Responder};
use actix_web_lab::FromRequest;
use futures_util::{stream, Stream};
use serde::Deserialize;

use super::log_stream::{log_frames, LogScope};
use super::panel::{load_log, render_panel, PanelData};
use super::views;
use crate::arrivals::{arrivals_frames, Arrivals, ArrivalsCache, Shown as ArrivalsShown};
use crate::auth::{CurrentUser, Permission, SessionWatch};
use crate::db::{self, Pool, Tenant};
use crate::domain::EventId;
use crate::error::AppError;
use crate::events::{load_event, Event};
use crate::gate_alerts::{load_alerts, monitor_alert_frames, AlertScope, AlertsView, OpenAlert};
use crate::live::{channel_frames, Channel, Frame, Hub};
use crate::panels::{Loaded, PanelName, Panels};
use crate::scanning::ScanCounters;
use crate::scanning::ScanLine;
use crate::scanning::ScanResult;
use crate::scanning::{LogFilter, Position, ScanFeed};
use crate::ui::html;
use crate::zones::ZoneDirectory;
use crate::{forms, paths};

/// The log filter as the form sends it: empty means "all".
#[derive(Deserialize)]
pub struct FilterQuery {
    gate: Option<String>,
    device: Option<String>,
    result: Option<String>,
    /// The stream only: the newest row the page already shows (`Position`), so the
    /// stream sends the rows after it instead of the whole log again.
    since: Option<String>,
}

impl FilterQuery {
    fn parse(&self) -> Result<LogFilter, AppError> {
        let result = forms::given(self.result.as_deref())
            .map(|v| {
                v.parse::<ScanResult>()
                    .map_err(|_| AppError::bad_request("result must be valid, duplicate or invalid"))
            })
            .transpose()?;
        Ok(LogFilter {
            gate_id: forms::optional_id(self.gate.as_deref(), "gate")?,
            device_id: forms::optional_id(self.device.as_deref(), "device")?,
            result,
        })
    }

    /// Where the page's log stood (`since`), if it says.
    fn since(&self) -> Result<Option<Position>, AppError> {
        forms::given(self.since.as_deref())
            .map(|v| Position::parse(v).ok_or_else(|| AppError::bad_request("since must be a scan log position")))
            .transpose()
    }

    /// The stream's query: this filter, and the newest row the page shows.
    fn stream_query(&self, newest_shown: Option<i64>) -> String {
        let since = newest_shown.map(|id| Position::Scan(id).to_string());
        serde_urlencoded::to_string([
            ("gate", &self.gate),
            ("device", &self.device),
            ("result", &self.result),
            ("since", &since),
        ])
        .unwrap_or_default()
    }
}

/// What the monitor's first page reads.
#[derive(FromRequest)]
pub struct MonitorServices {
    pool: web::Data<Pool>,
    counters: web::Data<dyn ScanCounters>,
    zones: web::Data<ZoneDirectory>,
    arrivals: web::Data<ArrivalsCache>,
    panels: web::Data<Panels>,
}

/// The page: its panels load side by side, each on its own, and one that cannot says so.
pub async fn scan_monitor(
    services: MonitorServices,
    user: CurrentUser,
    path: web::Path<EventId>,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().get());
    user.require_on_event(Permission::WatchGates, event_id)?;
    let (filter, event) = (query.parse()?, load_event(&services.pool, tenant, event_id).await?);
    let loaded = services.first_page(tenant, &event, filter).await;
    let newest_shown = loaded.lines.ready().and_then(|lines| lines.first()).map(|line| line.id);
    let page = views::MonitorPage {
        event: &event,
        panel: loaded.panel.ready().map(|data| data.panel(&event)),
        filter: &filter,
        lines: loaded.lines.ready().map(Vec::as_slice),
        arrivals: ArrivalsShown::of(&loaded.arrivals),
        stream_url: &paths::with_query(&paths::scan_monitor_stream(event_id), &query.stream_query(newest_shown)),
        alerts: loaded.alerts.ready().map(|alerts| alerts_view(alerts, &event, &user)),
        can_acknowledge: user.may(Permission::AcknowledgeAlert),
        may: monitor_rights(&user),
    };
    Ok(html(views::scan_monitor_page(&user.viewer(), &page)))
}

/// The first page's panels, each loaded on its own.
struct FirstPage {
    panel: Loaded<PanelData>,
    lines: Loaded<Vec<ScanLine>>,
    arrivals: Loaded<Option<Arc<Arrivals>>>,
    alerts: Loaded<Vec<OpenAlert>>,
}

impl MonitorServices {
    async fn first_page(&self, tenant: Tenant, event: &Event, filter: LogFilter) -> FirstPage {
        let (pool, panels, event_id) = (&self.pool, &self.panels, event.id);
        let (panel, lines, arrivals, alerts) = tokio::join!(
            panels.load(
                PanelName::Gates,
                PanelData::load(pool, &**self.counters, &self.zones, tenant, event_id)
            ),
            panels.load(PanelName::ScanLog, load_log(pool, tenant, event_id, filter)),
            self.arrivals.page_panel(tenant, event),
            panels.load(PanelName::GateAlerts, load_alerts(pool, alert_scope(tenant, event))),
        );
        FirstPage {
            panel,
            lines,
            arrivals,
            alerts,
        }
    }
}

fn monitor_rights(user: &CurrentUser) -> views::MonitorRights {
    views::MonitorRights {
        manage_kiosks: user.may(Permission::ManageKioskLinks),
        manage_devices: user.may(Permission::ManageDevices),
        set_entry_policy: user.may(Permission::SetEntryPolicy),
        look_up: user.may(Permission::DoorLookup),
        see_dashboard: user.may(Permission::ViewDashboard),
    }
}

/// The services the monitor's stream uses.
#[derive(FromRequest)]
pub struct StreamServices {
    pool: web::Data<Pool>,
    hub: web::Data<Hub>,
    feed: web::Data<ScanFeed>,
    counters: web::Data<dyn ScanCounters>,
    zones: web::Data<ZoneDirectory>,
    sessions: web::Data<SessionWatch>,
    arrivals: web::Data<ArrivalsCache>,
    panels: web::Data<Panels>,
}

pub async fn scans_stream(
    req: HttpRequest,
    services: StreamServices,
    user: CurrentUser,
    path: web::Path<EventId>,
    query: web::Query<FilterQuery>,
) -> Result<impl Responder, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().get());
    user.require_on_event(Permission::WatchGates, event_id)?;
    let event = load_event(&services.pool, tenant, event_id).await?;
    let scope = LogScope {
        tenant,
        event_id,
        timezone: event.timezone,
        filter: query.parse()?,
        pause: services.hub.coalesce(),
    };
    let panels = services.panel_frames(&user, event);
    let feed = services.feed.clone().into_inner();
    // A reconnect says where it stopped; a first connect, where its page's log stands.
    let seen = last_event_id(&req).or(query.since()?);
    let log = log_frames(services.pool.get_ref().clone(), feed, scope, seen).await?;
    let frames = stream::select(panels, log);
    Ok(services.hub.sse_until(frames, services.sessions.ended(&user)))
}

/// The open alerts as this viewer sees them on the first load.
fn alerts_view<'a>(alerts: &'a [OpenAlert], event: &'a Event, user: &CurrentUser) -> AlertsView<'a> {
    AlertsView {
        alerts,
        timezone: &event.timezone,
        now: db::now_ms(),
        can_acknowledge: user.may(Permission::AcknowledgeAlert),
    }
}

fn alert_scope(tenant: Tenant, event: &Event) -> AlertScope {
    AlertScope {
        tenant,
        event_id: event.id,
        timezone: *event.timezone,
        gate_id: None,
    }
}

impl StreamServices {
    /// The counters panel, the arrivals and the alert list (with buttons when this
    /// viewer may acknowledge), each rendered once per update for every monitor; the
    /// panel is redrawn on the clock too, so one that could not be read is tried again.
    fn panel_frames(&self, user: &CurrentUser, event: Event) -> impl Stream<Item = Frame> {
        let (hub, tenant) = (&self.hub, user.tenant());
        let scope = alert_scope(tenant, &event);
        let alerts = monitor_alert_frames(
            hub,
            (&self.pool, &self.panels),
            scope,
            user.may(Permission::AcknowledgeAlert),
        );
        let channel = Channel::scans(&tenant, event.id);
        let arrivals = self.arrivals.clone().into_inner();
        let every = arrivals.every();
        let chart = arrivals_frames(hub, channel.clone(), arrivals, tenant, event.clone());
        let render = render_panel(
            &self.pool,
            (self.counters.clone().into_inner(), self.zones.clone().into_inner()),
            &self.panels,
            tenant,
            event,
        );
        let panel = hub.subscribe_with_clock(channel, views::PANEL_SSE_EVENT, render, Some(every));
        stream::select(stream::select(channel_frames(panel), chart), alerts)
    }
}

/// Where the monitor's log stood when it lost its connection.
fn last_event_id(req: &HttpRequest) -> Option<Position> {
    req.headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(Position::parse)
}
