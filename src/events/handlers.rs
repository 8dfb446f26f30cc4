//! `GET /events`, `GET /events/{id}`, `GET /sse/events/{id}/occupancy`.

use std::sync::Arc;

use actix_web::{http::header, web, HttpResponse, Responder};
use actix_web_lab::sse;

use super::{queries, views};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, Tenant};
use crate::error::AppError;
use crate::live::{sse_response, Channel, Render};
use crate::ui::html;

pub async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/events"))
        .finish()
}

pub async fn list_events(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let tenant = user.tenant();
    let events = db::run(&state.pool, move |conn| {
        Ok(queries::list_events(conn, &tenant)?)
    })
    .await?;
    Ok(html(views::events_page(
        &user.viewer(),
        &events,
        db::now_ms(),
    )))
}

pub async fn show_event(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<HttpResponse, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let (event, summary) = db::run(&state.pool, move |conn| {
        let event = queries::find_event(conn, &tenant, event_id)?;
        Ok((event, queries::occupancy_summary(conn, &tenant, event_id)?))
    })
    .await?;
    Ok(html(views::event_page(
        &user.viewer(),
        &event,
        &summary,
        db::now_ms(),
    )))
}

pub async fn occupancy_stream(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<impl Responder, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = db::run(&state.pool, move |conn| {
        Ok(queries::find_event(conn, &tenant, event_id)?)
    })
    .await?;
    let frames = state.hub.subscribe(
        Channel::occupancy(&tenant, event_id),
        render_occupancy(&state, tenant, event),
    );
    Ok(sse_response(frames))
}

/// Renders the occupancy cards of one event: called once per coalesced update, and
/// the result goes to every subscriber of the channel.
fn render_occupancy(state: &AppState, tenant: Tenant, event: queries::Event) -> Render {
    let pool = state.pool.clone();
    let event = Arc::new(event);
    Arc::new(move || {
        let (pool, event) = (pool.clone(), event.clone());
        Box::pin(async move {
            let event_id = event.id;
            let summary = db::run(&pool, move |conn| {
                Ok(queries::occupancy_summary(conn, &tenant, event_id)?)
            })
            .await
            .inspect_err(|e| tracing::warn!(error = %e, event_id, "cannot render occupancy"))
            .ok()?;
            let markup = views::occupancy_cards(&event, &summary);
            Some(
                sse::Data::new(markup.into_string())
                    .event(views::OCCUPANCY_SSE_EVENT)
                    .into(),
            )
        })
    })
}
