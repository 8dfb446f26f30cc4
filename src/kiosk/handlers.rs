//! `GET/POST /events/{id}/kiosk-links`, `POST /events/{id}/kiosk-links/{link}/revoke`,
//! `GET /kiosk/{token}` and `GET /kiosk/{token}/stream`.

use actix_web::{web, HttpResponse, Responder};
use actix_web_lab::FromRequest;
use serde::Deserialize;

use super::display::{self, open_link};
use super::links::{self, LinkRequest};
use super::queries;
use super::views::{self, LinksPage};
use crate::auth::{CsrfForm, CurrentUser, Permission};
use crate::config::Settings;
use crate::db::Pool;
use crate::domain::{EventId, KioskLinkId};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::load_event;
use crate::live::{Bus, Hub};
use crate::scanning::{self, ScanCounters};
use crate::ui::{html, see_other};
use crate::zones::ZoneDirectory;
use crate::{forms, paths};

/// What a kiosk's screen and stream need.
#[derive(FromRequest)]
pub struct KioskServices {
    pool: web::Data<Pool>,
    hub: web::Data<Hub>,
    settings: web::Data<Settings>,
    counters: web::Data<dyn ScanCounters>,
    zones: web::Data<ZoneDirectory>,
}

pub async fn list_links(
    pool: web::Data<Pool>,
    user: CurrentUser,
    path: web::Path<EventId>,
) -> Result<HttpResponse, AppError> {
    let event_id = path.into_inner().get();
    user.require_on_event(Permission::ManageKioskLinks, event_id)?;
    links_page(&pool, &user, event_id, None).await
}

#[derive(Deserialize)]
pub struct NewLinkForm {
    gate: Option<String>,
}

pub async fn create_link(
    pool: web::Data<Pool>,
    form: CsrfForm<NewLinkForm>,
    path: web::Path<EventId>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    let event_id = path.into_inner().get();
    user.require_on_event(Permission::ManageKioskLinks, event_id)?;
    let request = LinkRequest {
        tenant: user.tenant(),
        user_id: user.user_id,
        event_id,
        gate_id: forms::optional_id(form.gate.as_deref(), "gate")?,
    };
    load_event(&pool, request.tenant, request.event_id).await?;
    let token = links::create_kiosk_link(&pool, request).await?;
    links_page(&pool, &user, request.event_id, Some(&paths::kiosk(&token))).await
}

pub async fn revoke_link(
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<(EventId, KioskLinkId)>,
) -> Result<HttpResponse, AppError> {
    let user = form.user;
    let (event_id, link_id) = path.into_inner();
    let (event_id, link_id) = (event_id.get(), link_id.get());
    user.require_on_event(Permission::ManageKioskLinks, event_id)?;
    links::revoke_kiosk_link(&pool, &**bus, user.tenant(), user.user_id, event_id, link_id).await?;
    Ok(see_other(&paths::kiosk_links(event_id)))
}

async fn links_page(
    pool: &Pool,
    user: &CurrentUser,
    event_id: i64,
    new_link: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let tenant = user.tenant();
    let event = load_event(pool, tenant, event_id).await?;
    let (gates, links) = with_db(pool, move |conn| {
        Ok((
            scanning::event_gates(conn, &tenant, event_id)?,
            queries::list_links(conn, &tenant, event_id)?,
        ))
    })
    .await?;
    let page = LinksPage {
        event: &event,
        gates: &gates,
        links: &links,
        new_link,
    };
    Ok(html(views::links_page(&user.viewer(), &page)))
}

pub async fn kiosk(
    KioskServices {
        pool, counters, zones, ..
    }: KioskServices,
    path: web::Path<(String,)>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner().0;
    let open = open_link(&pool, &token).await?;
    let shown = display::display(&zones, &**counters, &open, views::kiosk_display).await?;
    let alerts = display::alert_lines(&pool, &open).await?;
    Ok(html(views::kiosk_page(
        &open.event.name,
        (shown, alerts),
        &paths::kiosk_stream(&token),
    )))
}

pub async fn kiosk_stream(
    KioskServices {
        pool,
        hub,
        settings,
        counters,
        zones,
    }: KioskServices,
    path: web::Path<(String,)>,
) -> Result<impl Responder, AppError> {
    let open = open_link(&pool, &path.into_inner().0).await?;
    let check_every = settings.session_check_every;
    let sources = (counters.into_inner(), zones.into_inner());
    let frames = display::display_stream(&hub, &pool, sources, open, check_every);
    Ok(hub.sse(frames))
}
