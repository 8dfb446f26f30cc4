//! `GET /events/{id}/scans`, `GET /sse/events/{id}/scans`.

use std::sync::Arc;

use actix_web::{web, HttpResponse, Responder};

use super::queries::{self, ScanLine, ScanTotals};
use super::views;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, Pool, Tenant};
use crate::error::AppError;
use crate::events::{load_event, queries::Event};
use crate::live::{frame, render_with, sse_response, Channel, Render};
use crate::ui::html;

/// Scan log lines shown on the monitor.
const LOG_LINES: i64 = 20;

pub async fn scan_monitor(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<HttpResponse, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = load_event(&state.pool, tenant, event_id).await?;
    let (totals, lines) = load_panel(&state.pool, tenant, event_id).await?;
    Ok(html(views::scan_monitor_page(
        &user.viewer(),
        &event,
        &totals,
        &lines,
    )))
}

pub async fn scans_stream(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<impl Responder, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = load_event(&state.pool, tenant, event_id).await?;
    let frames = state.hub.subscribe(
        Channel::scans(&tenant, event_id),
        render_panel(&state.pool, tenant, event),
    );
    Ok(sse_response(frames))
}

async fn load_panel(
    pool: &Pool,
    tenant: Tenant,
    event_id: i64,
) -> Result<(ScanTotals, Vec<ScanLine>), AppError> {
    db::run(pool, move |conn| {
        let totals = queries::scan_totals(conn, &tenant, event_id)?;
        Ok((
            totals,
            queries::latest_scans(conn, &tenant, event_id, LOG_LINES)?,
        ))
    })
    .await
}

/// The scan panel of one event, rendered once per coalesced update for everyone.
fn render_panel(pool: &Pool, tenant: Tenant, event: Event) -> Render {
    render_with(
        (pool.clone(), Arc::new(event)),
        move |(pool, event)| async move {
            let (totals, lines) = load_panel(&pool, tenant, event.id).await?;
            Ok(frame(
                views::SCANS_SSE_EVENT,
                views::scan_panel(&event, &totals, &lines).into_string(),
            ))
        },
    )
}
