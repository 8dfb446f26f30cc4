//! `GET/POST /events/{id}/kiosk-links`, `POST /events/{id}/kiosk-links/{link}/revoke`,
//! `GET /kiosk/{token}` and `GET /kiosk/{token}/stream`.

use std::sync::Arc;

use actix_web::{http::header, web, HttpResponse, Responder};
use futures_util::{stream, StreamExt};
use serde::Deserialize;

use super::queries::{self, ActiveLink, NewLink};
use super::views::{self, KioskNumbers, LinksPage};
use crate::app::AppState;
use crate::audit;
use crate::auth::{random_token, token_hash, CsrfForm, CurrentUser};
use crate::db::{self, Tenant};
use crate::error::AppError;
use crate::events::{load_event, Event};
use crate::forms;
use crate::live::{channel_frames, frame, render_with, sse_stream, Channel, Frame, Render, Update, UpdateKind};
use crate::scanning::queries::event_gates;
use crate::ui::html;

pub async fn list_links(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<HttpResponse, AppError> {
    user.require_owner()?;
    links_page(&state, &user, path.into_inner().0, None).await
}

#[derive(Deserialize)]
pub struct NewLinkForm {
    gate: Option<String>,
}

pub async fn create_link(
    state: web::Data<AppState>,
    form: CsrfForm<NewLinkForm>,
    path: web::Path<(i64,)>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    user.require_owner()?;
    let (tenant, event_id, user_id) = (user.tenant(), path.into_inner().0, user.user_id);
    let gate_id = forms::optional_id(form.gate.as_deref(), "gate")?;
    load_event(&state.pool, tenant, event_id).await?;
    let token = random_token();
    let hash = token_hash(&token);
    db::run(&state.pool, move |conn| {
        if let Some(gate_id) = gate_id {
            if !queries::gate_of_event(conn, &tenant, event_id, gate_id)? {
                return Err(AppError::bad_request("that gate is not one of this event's gates"));
            }
        }
        let now = db::now_ms();
        let link = NewLink {
            event_id,
            gate_id,
            token_hash: &hash,
            created_by: user_id,
            now,
        };
        crate::db::write_transaction(conn, |conn| {
            let link_id = queries::create_link(conn, &tenant, &link)?;
            let details = format!(
                "event {event_id}, {}",
                gate_id.map_or("all gates".into(), |g| format!("gate {g}"))
            );
            let entry = audit::Entry {
                action: audit::Action::KioskLinkCreated,
                user_id: Some(user_id),
                subject: audit::Subject::KioskLink(link_id),
                details: &details,
            };
            audit::record(conn, &tenant, &entry, now)
        })?;
        Ok(())
    })
    .await?;
    links_page(&state, &user, event_id, Some(&format!("/kiosk/{token}"))).await
}

pub async fn revoke_link(
    state: web::Data<AppState>,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let user = form.user;
    user.require_owner()?;
    let (tenant, (event_id, link_id)) = (user.tenant(), path.into_inner());
    let user_id = user.user_id;
    let revoked = db::run(&state.pool, move |conn| {
        let now = db::now_ms();
        Ok(crate::db::write_transaction(conn, |conn| {
            let revoked = queries::revoke_link(conn, &tenant, event_id, link_id, now)?;
            if revoked {
                let details = format!("event {event_id}");
                let entry = audit::Entry {
                    action: audit::Action::KioskLinkRevoked,
                    user_id: Some(user_id),
                    subject: audit::Subject::KioskLink(link_id),
                    details: &details,
                };
                audit::record(conn, &tenant, &entry, now)?;
            }
            Ok(revoked)
        })?)
    })
    .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    // Open kiosk streams of this link end at once.
    state.bus.publish(Update {
        channel: Channel::kiosk_link(&tenant, link_id),
        kind: UpdateKind::KioskRevoked,
    });
    let back = format!("/events/{event_id}/kiosk-links");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back))
        .finish())
}

async fn links_page(
    state: &AppState,
    user: &CurrentUser,
    event_id: i64,
    new_link: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let tenant = user.tenant();
    let event = load_event(&state.pool, tenant, event_id).await?;
    let (gates, links) = db::run(&state.pool, move |conn| {
        Ok((
            event_gates(conn, &tenant, event_id)?,
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

/// The link a kiosk token opens; a revoked or unknown token is a page that does not exist.
async fn open_link(state: &AppState, token: &str) -> Result<(ActiveLink, Event), AppError> {
    let hash = token_hash(token);
    let link = db::run(&state.pool, move |conn| Ok(queries::find_active_link(conn, &hash)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let event = load_event(&state.pool, link.tenant, link.event_id).await?;
    Ok((link, event))
}

pub async fn kiosk(state: web::Data<AppState>, path: web::Path<(String,)>) -> Result<HttpResponse, AppError> {
    let token = path.into_inner().0;
    let (link, event) = open_link(&state, &token).await?;
    let gate_name = gate_name(&state, &link).await?;
    let numbers = numbers(&state, &link, &event, gate_name.as_deref()).await?;
    Ok(html(views::kiosk_page(&numbers, &format!("/kiosk/{token}/stream"))))
}

pub async fn kiosk_stream(state: web::Data<AppState>, path: web::Path<(String,)>) -> Result<impl Responder, AppError> {
    let (link, event) = open_link(&state, &path.into_inner().0).await?;
    let gate_name = gate_name(&state, &link).await?;
    let view = format!("kiosk-gate-{}", link.gate_id.unwrap_or(0));
    let render = render_with(
        (state.clone(), Arc::new(event), gate_name),
        move |(state, event, gate)| async move {
            let numbers = numbers(&state, &link, &event, gate.as_deref()).await?;
            Ok(frame(
                views::KIOSK_SSE_EVENT,
                views::kiosk_display(&numbers).into_string(),
            ))
        },
    );
    let frames = state
        .hub
        .subscribe(Channel::scans(&link.tenant, link.event_id), &view, render);
    let notice = frame(views::KIOSK_SSE_EVENT, views::revoked_display().into_string());
    // The link's channel carries only its revocation, routed once per update by the hub
    // (not by every open kiosk); its view is the link's state, read again on each update.
    let revoked = revocation(state.hub.subscribe(
        Channel::kiosk_link(&link.tenant, link.link_id),
        "revocation",
        link_state(&state, link),
    ));
    Ok(sse_stream(
        state.hub.with_live_status(
            channel_frames(frames)
                .take_until(revoked)
                .chain(stream::once(async move { notice })),
        ),
    ))
}

/// The link's state as its view: `active` or `revoked`.
fn link_state(state: &AppState, link: ActiveLink) -> Render {
    render_with(state.pool.clone(), move |pool| async move {
        let revoked = db::run(&pool, move |conn| {
            Ok(queries::is_revoked(conn, &link.tenant, link.link_id)?)
        })
        .await?;
        Ok(frame(LINK_STATE, if revoked { "revoked" } else { "active" }))
    })
}

const LINK_STATE: &str = "link-state";

/// Resolves when the link's view says it is revoked.
async fn revocation(mut link: tokio::sync::watch::Receiver<Option<Frame>>) {
    let revoked = Some(frame(LINK_STATE, "revoked"));
    while *link.borrow_and_update() != revoked {
        if link.changed().await.is_err() {
            return;
        }
    }
}

async fn gate_name(state: &AppState, link: &ActiveLink) -> Result<Option<String>, AppError> {
    let Some(gate_id) = link.gate_id else { return Ok(None) };
    let (tenant, event_id) = (link.tenant, link.event_id);
    let gates = db::run(&state.pool, move |conn| Ok(event_gates(conn, &tenant, event_id)?)).await?;
    Ok(gates.into_iter().find(|g| g.id == gate_id).map(|g| g.name))
}

async fn numbers<'a>(
    state: &AppState,
    link: &ActiveLink,
    event: &'a Event,
    gate: Option<&'a str>,
) -> Result<KioskNumbers<'a>, AppError> {
    let tenant: Tenant = link.tenant;
    let counts = state
        .scan_counters
        .event_counts(&tenant, link.event_id, db::now_ms())
        .await?;
    let gate = gate
        .zip(link.gate_id)
        .map(|(name, id)| (name, counts.gates.get(&id).cloned().unwrap_or_default()));
    Ok(KioskNumbers {
        event,
        occupancy: counts.occupancy,
        gate,
    })
}
