//! `GET /events`, `GET /events/{id}`, `GET /sse/events/{id}/occupancy`.

use std::sync::Arc;

use actix_web::{http::header, web, HttpResponse, Responder};

use super::queries::{self, Event};
use super::views;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, Pool, Tenant};
use crate::error::AppError;
use crate::live::{frame, render_with, sse_response, Channel, Render};
use crate::ui::html;

pub async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/events"))
        .finish()
}

pub async fn list_events(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let tenant = user.tenant();
    let events = db::run(&state.pool, move |conn| Ok(queries::list_events(conn, &tenant)?)).await?;
    Ok(html(views::events_page(&user.viewer(), &events, db::now_ms())))
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
    Ok(html(views::event_page(&user.viewer(), &event, &summary, db::now_ms())))
}

pub async fn occupancy_stream(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<impl Responder, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().0);
    let event = super::load_event(&state.pool, tenant, event_id).await?;
    let render = render_occupancy(&state.pool, tenant, event);
    let frames = state.hub.subscribe(
        Channel::occupancy(&tenant, event_id),
        views::OCCUPANCY_SSE_EVENT,
        render,
    );
    Ok(sse_response(frames))
}

/// The occupancy cards of one event, rendered once per coalesced update for everyone.
fn render_occupancy(pool: &Pool, tenant: Tenant, event: Event) -> Render {
    render_with((pool.clone(), Arc::new(event)), move |(pool, event)| async move {
        let event_id = event.id;
        let summary = db::run(&pool, move |conn| {
            Ok(queries::occupancy_summary(conn, &tenant, event_id)?)
        })
        .await?;
        Ok(frame(
            views::OCCUPANCY_SSE_EVENT,
            views::occupancy_cards(&event, &summary).into_string(),
        ))
    })
}
