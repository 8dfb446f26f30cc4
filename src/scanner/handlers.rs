//! `POST /events/{id}/pairings`, `POST /events/{id}/devices/{device}/revoke`,
//! `GET/POST /pair/{token}` and `GET /scanner`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::pairing::{self, NewPairing};
use super::views::{self, MadeLink};
use crate::auth::{CsrfForm, Permission};
use crate::db::{self, Pool};
use crate::domain::{DeviceId, EventId};
use crate::error::{with_db, AppError};
use crate::events::load_event;
use crate::live::Bus;
use crate::scanning::DeviceTokens;
use crate::ui::{html, see_other};
use crate::{forms, paths};

#[derive(Deserialize)]
pub struct PairingForm {
    gate: Option<String>,
}

pub async fn create_pairing(
    pool: web::Data<Pool>,
    req: HttpRequest,
    form: CsrfForm<PairingForm>,
    path: web::Path<EventId>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    let event_id = path.into_inner().get();
    user.require_on_event(Permission::ManageDevices, event_id)?;
    // Another organisation's event is missing before the form is read.
    let event = load_event(&pool, user.tenant(), event_id).await?;
    let gate_id =
        forms::optional_id(form.gate.as_deref(), "gate")?.ok_or_else(|| AppError::bad_request("pick a gate"))?;
    let request = NewPairing::by(&user, event_id, gate_id);
    let (gate, link) = with_db(&pool, move |conn| super::make_link(conn, &request)).await?;
    let url = format!("{}{}", super::origin(&req), paths::pair(&link.token));
    let made = MadeLink {
        event: &event,
        gate: &gate,
        url: &url,
        expires_at: link.expires_at,
    };
    Ok(html(views::pairing_made_page(&user.viewer(), &made)))
}

pub async fn revoke_device(
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
    tokens: web::Data<DeviceTokens>,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<(EventId, DeviceId)>,
) -> Result<HttpResponse, AppError> {
    let user = form.user;
    let (event_id, device_id) = (path.0.get(), path.1.get());
    user.require_on_event(Permission::ManageDevices, event_id)?;
    let (tenant, user_id) = (user.tenant(), user.user_id);
    let revoked = with_db(&pool, move |conn| {
        Ok(db::write_transaction(conn, |conn| {
            pairing::revoke_device(conn, &tenant, event_id, device_id, user_id)
        })?)
    })
    .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    super::device_revoked(&**bus, &tokens, &tenant, event_id);
    Ok(see_other(&paths::scan_monitor(event_id)))
}

pub async fn pairing_prompt(pool: web::Data<Pool>, path: web::Path<(String,)>) -> Result<HttpResponse, AppError> {
    let token = path.into_inner().0;
    let looked_up = token.clone();
    let offer = with_db(&pool, move |conn| {
        Ok(pairing::find_pairing(conn, &looked_up, db::now_ms())?)
    })
    .await?
    .ok_or(AppError::NotFound)?
    .open()?;
    Ok(html(views::pair_prompt_page(&offer, &token)))
}

pub async fn pair_phone(pool: web::Data<Pool>, path: web::Path<(String,)>) -> Result<HttpResponse, AppError> {
    let token = path.into_inner().0;
    let paired = with_db(&pool, move |conn| {
        db::write_transaction(conn, |conn| pairing::use_pairing(conn, &token, db::now_ms()))?
    })
    .await?;
    Ok(scanner_answer(views::scanner_page(Some(&paired))))
}

pub async fn scanner() -> HttpResponse {
    scanner_answer(views::scanner_page(None))
}

/// The scanner page with its own policy (its inline script and style by hash).
fn scanner_answer(page: maud::Markup) -> HttpResponse {
    let mut answer = html(page);
    answer.headers_mut().insert(
        actix_web::http::header::CONTENT_SECURITY_POLICY,
        actix_web::http::header::HeaderValue::from_static(views::page_policy()),
    );
    answer
}

pub async fn service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-cache"))
        .body(super::worker::script())
}
