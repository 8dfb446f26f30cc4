//! `GET /events/{id}/scans`, `GET /sse/events/{id}/scans`.

use std::sync::Arc;

use actix_web::{web, HttpResponse, Responder};
use actix_web_lab::sse;

use super::{queries, views};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, Pool, Tenant};
use crate::error::AppError;
use crate::events::queries::{find_event, Event};
use crate::live::{sse_response, Channel, Render};
use crate::ui::html;

/// Scan log lines shown on the monitor.
const LOG_LINES: i64 = 20;

pub async fn scan_monitor(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<HttpResponse, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = db::run(&state.pool, move |conn| {
        Ok(find_event(conn, &tenant, event_id)?)
    })
    .await?;
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
    let event = db::run(&state.pool, move |conn| {
        Ok(find_event(conn, &tenant, event_id)?)
    })
    .await?;
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
) -> Result<(queries::ScanTotals, Vec<queries::ScanLine>), AppError> {
    db::run(pool, move |conn| {
        Ok((
            queries::scan_totals(conn, &tenant, event_id)?,
            queries::latest_scans(conn, &tenant, event_id, LOG_LINES)?,
        ))
    })
    .await
}

fn render_panel(pool: &Pool, tenant: Tenant, event: Event) -> Render {
    let (pool, event) = (pool.clone(), Arc::new(event));
    Arc::new(move || {
        let (pool, event) = (pool.clone(), event.clone());
        Box::pin(async move {
            let (totals, lines) = load_panel(&pool, tenant, event.id)
                .await
                .inspect_err(
                    |e| tracing::warn!(error = %e, event_id = event.id, "cannot render scan panel"),
                )
                .ok()?;
            let markup = views::scan_panel(&event, &totals, &lines);
            Some(
                sse::Data::new(markup.into_string())
                    .event(views::SCANS_SSE_EVENT)
                    .into(),
            )
        })
    })
}
