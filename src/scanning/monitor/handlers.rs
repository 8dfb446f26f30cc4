//! `GET /events/{id}/scans` (the scan monitor) and `GET /sse/events/{id}/scans`.

use std::collections::HashSet;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse, Responder};
use futures_util::{stream, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast;

use super::views::{self, Panel};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, Tenant};
use crate::error::AppError;
use crate::events::{load_event, queries::Event};
use crate::forms;
use crate::live::{channel_frames, frame, render_with, sse_stream_until, Channel, Frame, Render};
use crate::scanning::counters::EventCounts;
use crate::scanning::feed::{LogFilter, LogLine, Position, Resume};
use crate::scanning::model::ScanResult;
use crate::scanning::queries::{self, DeviceRow, Gate, ScanLine};
use crate::ui::html;

/// The log filter as the form sends it: empty means "all".
#[derive(Deserialize)]
pub struct FilterQuery {
    gate: Option<String>,
    device: Option<String>,
    result: Option<String>,
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

    fn as_query_string(&self) -> String {
        serde_urlencoded::to_string([("gate", &self.gate), ("device", &self.device), ("result", &self.result)])
            .unwrap_or_default()
    }
}

pub async fn scan_monitor(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.parse()?;
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = load_event(&state.pool, tenant, event_id).await?;
    let lines = db::run(&state.pool, move |conn| {
        Ok(queries::latest_scans(
            conn,
            &tenant,
            event_id,
            &filter,
            views::LOG_ROWS,
        )?)
    })
    .await?;
    let data = PanelData::load(&state, tenant, event_id).await?;
    let stream_url = format!("/sse/events/{event_id}/scans?{}", query.as_query_string());
    Ok(html(views::scan_monitor_page(
        &user.viewer(),
        &data.panel(&event),
        &filter,
        &lines,
        &stream_url,
        user.require_owner().is_ok(),
    )))
}

pub async fn scans_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
    query: web::Query<FilterQuery>,
) -> Result<impl Responder, AppError> {
    let filter = query.parse()?;
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = load_event(&state.pool, tenant, event_id).await?;
    let timezone = event.timezone.clone();
    let render = render_panel(&state, tenant, event);
    let panel = state
        .hub
        .subscribe(Channel::scans(&tenant, event_id), views::PANEL_SSE_EVENT, render);
    let last_seen = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(Position::parse);
    let (resume, receiver) = state
        .scan_feed
        .subscribe(tenant.organization_id(), event_id, last_seen)
        .await;
    let log = LogStream {
        state: state.clone(),
        tenant,
        event_id,
        timezone,
        filter,
        shown_up_to: last_seen,
        redrawn: HashSet::new(),
    };
    let log = log.frames(resume, receiver).await?;
    let ended = user.session_ended(&state);
    Ok(sse_stream_until(
        state.hub.with_live_status(stream::select(channel_frames(panel), log)),
        ended,
    ))
}

/// Counters, gates and devices of one event: rendered once per coalesced update.
fn render_panel(state: &AppState, tenant: Tenant, event: Event) -> Render {
    render_with((state.clone(), Arc::new(event)), move |(state, event)| async move {
        let event_id = event.id;
        let data = PanelData::load(&state, tenant, event_id).await?;
        let panel = data.panel(&event);
        Ok(frame(views::PANEL_SSE_EVENT, views::scan_panel(&panel).into_string()))
    })
}

/// What the counters panel shows, loaded: gates and devices from the database, counts
/// from the live counters.
struct PanelData {
    gates: Vec<Gate>,
    devices: Vec<DeviceRow>,
    counts: EventCounts,
    now: i64,
}

impl PanelData {
    async fn load(state: &AppState, tenant: Tenant, event_id: i64) -> Result<Self, AppError> {
        let (gates, devices) = db::run(&state.pool, move |conn| {
            Ok((
                queries::event_gates(conn, &tenant, event_id)?,
                queries::event_devices(conn, &tenant, event_id)?,
            ))
        })
        .await?;
        let now = db::now_ms();
        let counts = state.scan_counters.event_counts(&tenant, event_id, now).await?;
        Ok(Self {
            gates,
            devices,
            counts,
            now,
        })
    }

    fn panel<'a>(&'a self, event: &'a Event) -> Panel<'a> {
        Panel {
            event,
            counts: &self.counts,
            gates: &self.gates,
            devices: &self.devices,
            now: self.now,
        }
    }
}

/// One monitor's scan log: catch up (replay or redraw), then each new row that passes
/// its filter, each with its scan id as SSE id.
struct LogStream {
    state: web::Data<AppState>,
    tenant: Tenant,
    event_id: i64,
    timezone: String,
    filter: LogFilter,
    /// Rows up to this position are on the client's screen already.
    shown_up_to: Option<Position>,
    /// Scan ids of the last redraw: a row shared just after it is not shown twice.
    redrawn: HashSet<i64>,
}

impl LogStream {
    async fn frames(
        mut self,
        resume: Resume,
        receiver: broadcast::Receiver<Arc<LogLine>>,
    ) -> Result<impl Stream<Item = Frame>, AppError> {
        let first = match resume {
            Resume::Replay(lines) => lines.iter().filter_map(|line| self.line_frame(line)).collect(),
            Resume::Redraw => vec![self.redraw().await?],
        };
        let resyncs = self.state.scan_feed.resyncs();
        let live = stream::unfold(
            (self, receiver, resyncs),
            |(mut log, mut receiver, mut resyncs)| async move {
                loop {
                    let next = tokio::select! {
                        line = receiver.recv() => line,
                        // Rows may not have been shared (Redis down): redraw from the database.
                        changed = resyncs.changed() => match changed {
                            Ok(()) => Err(broadcast::error::RecvError::Lagged(0)),
                            Err(_) => std::future::pending().await,
                        },
                    };
                    match next {
                        Ok(line) => {
                            if let Some(frame) = log.line_frame(&line) {
                                return Some((frame, (log, receiver, resyncs)));
                            }
                        }
                        // Fell behind: a full redraw is smaller than the backlog.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            let frame = log.redraw().await.ok()?;
                            return Some((frame, (log, receiver, resyncs)));
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        );
        Ok(stream::iter(first).chain(live))
    }

    fn line_frame(&mut self, line: &LogLine) -> Option<Frame> {
        let shown = self.shown_up_to.is_some_and(|shown| line.position <= shown);
        if shown || self.redrawn.contains(&line.scan_id) || !self.filter.admits(line) {
            return None;
        }
        self.shown_up_to = Some(line.position);
        Some(frame(views::LINE_SSE_EVENT, line.html.clone()).with_id(line.position.to_string()))
    }

    /// The latest rows from the database, as the page first shows them.
    async fn redraw(&mut self) -> Result<Frame, AppError> {
        let (tenant, event_id, filter) = (self.tenant, self.event_id, self.filter);
        // Read first: every row in the log up to it is committed, so in the redraw.
        let newest_in_log = self.state.scan_feed.newest(tenant.organization_id(), event_id).await;
        let (lines, newest): (Vec<ScanLine>, i64) = db::run(&self.state.pool, move |conn| {
            let newest = queries::newest_scan_id(conn)?;
            Ok((
                queries::latest_scans(conn, &tenant, event_id, &filter, views::LOG_ROWS)?,
                newest,
            ))
        })
        .await?;
        self.redrawn = lines.iter().map(|line| line.id).collect();
        // Rows newer than both arrive through the feed; older ones are in `lines`.
        let newest_shown =
            newest_in_log.unwrap_or_else(|| Position::Scan(lines.first().map_or(newest, |line| line.id.max(newest))));
        let shown = self.shown_up_to.map_or(newest_shown, |shown| shown.max(newest_shown));
        self.shown_up_to = Some(shown);
        let html = views::scan_log_table(&lines, &self.timezone).into_string();
        Ok(frame(views::LOG_SSE_EVENT, html).with_id(shown.to_string()))
    }
}
