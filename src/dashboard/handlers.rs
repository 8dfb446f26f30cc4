//! `GET /events/{id}` (the dashboard) and `GET /sse/events/{id}/occupancy` (its updates).

use std::sync::Arc;

use actix_web::{web, HttpResponse, Responder};

use super::views::{self, Dashboard};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, Tenant};
use crate::error::AppError;
use crate::events::{load_event, queries::Event};
use crate::live::{frame_of_parts, render_with, sse_response, Channel, Render};
use crate::ui::html;

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
    let frames = state.hub.subscribe(
        Channel::occupancy(&tenant, event_id),
        "dashboard",
        render_dashboard(&state, tenant, event),
    );
    Ok(sse_response(frames))
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
