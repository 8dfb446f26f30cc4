//! `GET /events/{id}` (the dashboard) and `GET /sse/events/{id}/occupancy` (its updates).

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse, Responder};

use super::views::{self, Dashboard};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, Tenant};
use crate::error::AppError;
use crate::events::{load_event, Event};
use crate::live::{channel_frames, frame_of_parts, render_with, sse_stream_until, Channel, Render};
use crate::ui::html;

/// How often an open dashboard is redrawn when nothing happens (the metrics cache lives
/// as long, so each redraw then recomputes).
const REDRAW_EVERY: Duration = Duration::from_secs(30);

pub async fn show_dashboard(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<HttpResponse, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = load_event(&state.pool, tenant, event_id).await?;
    let metrics = state.metrics.get_event_metrics(tenant, &event).await?;
    let dashboard = Dashboard {
        event: &event,
        metrics: &metrics,
        now: db::now_ms(),
    };
    Ok(html(views::dashboard_page(&user.viewer(), &dashboard)))
}

pub async fn dashboard_stream(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<impl Responder, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = load_event(&state.pool, tenant, event_id).await?;
    // Velocity and the chart move with the clock too, not only with sales.
    let frames = state.hub.subscribe_with_clock(
        Channel::occupancy(&tenant, event_id),
        "dashboard",
        render_dashboard(&state, tenant, event),
        Some(REDRAW_EVERY),
    );
    Ok(sse_stream_until(
        state.hub.with_live_status(channel_frames(frames)),
        user.session_ended(&state),
    ))
}

/// Every live part of the dashboard, rendered once per coalesced update for everyone;
/// each client is sent only the parts that changed for it.
fn render_dashboard(state: &AppState, tenant: Tenant, event: Event) -> Render {
    render_with(
        (state.metrics.clone(), Arc::new(event)),
        move |(metrics, event)| async move {
            let metrics = metrics.get_event_metrics(tenant, &event).await?;
            let dashboard = Dashboard {
                event: &event,
                metrics: &metrics,
                now: db::now_ms(),
            };
            let parts = views::dashboard_parts(&dashboard).into_iter().map(Into::into).collect();
            Ok(frame_of_parts(views::DASHBOARD_SSE_EVENT, parts))
        },
    )
}
