//! `GET /events/{id}/door?code=…`: the page, or (htmx) just the result.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use actix_web_lab::FromRequest;
use maud::Markup;
use serde::Deserialize;

use super::queries::{find_ticket, normalise_code, ticket_scans};
use super::{views, DoorLookups};
use crate::auth::{CurrentUser, Permission};
use crate::db::{Pool, Tenant};
use crate::domain::EventId;
use crate::error::{with_db, AppError};
use crate::events::{load_event, Event};
use crate::htmx::HxRequest;
use crate::ui::html;

#[derive(Deserialize)]
pub struct DoorQuery {
    code: Option<String>,
}

/// What the door lookup needs.
#[derive(FromRequest)]
pub struct DoorServices {
    pool: web::Data<Pool>,
    lookups: web::Data<DoorLookups>,
}

pub async fn door_lookup(
    DoorServices { pool, lookups }: DoorServices,
    (user, hx): (CurrentUser, HxRequest),
    path: web::Path<EventId>,
    query: web::Query<DoorQuery>,
) -> Result<HttpResponse, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().get());
    user.require_on_event(Permission::DoorLookup, event_id)?;
    let event = load_event(&pool, tenant, event_id).await?;
    let raw = query.into_inner().code.unwrap_or_default();
    let (status, result) = match raw.trim().is_empty() && !hx.0 {
        true => (StatusCode::OK, None),
        false => look_up(&pool, &lookups, &user, &event, &raw)
            .await
            .map(|(s, m)| (s, Some(m)))?,
    };
    let markup = match (hx.0, result) {
        (true, Some(result)) => result,
        (_, result) => views::door_page(&user.viewer(), &event, &raw, result),
    };
    let mut response = html(markup);
    *response.status_mut() = status;
    Ok(response)
}

/// The ticket (200) or that there is none (404); a code that cannot be one is a 400 and
/// a user past their lookups a 429, each before anything is read.
async fn look_up(
    pool: &Pool,
    lookups: &DoorLookups,
    user: &CurrentUser,
    event: &Event,
    raw: &str,
) -> Result<(StatusCode, Markup), AppError> {
    let code = normalise_code(raw).map_err(AppError::BadRequest)?;
    if !lookups.allow(user.user_id) {
        let limit = lookups.per_minute();
        return Err(AppError::TooManyRequests(format!(
            "{limit} lookups a minute at most: wait a moment and try again."
        )));
    }
    let (tenant, event_id, query_code): (Tenant, i64, _) = (user.tenant(), event.id, code.clone());
    let found = with_db(pool, move |conn| {
        let Some(ticket) = find_ticket(conn, &tenant, event_id, &query_code)? else {
            return Ok(None);
        };
        let scans = ticket_scans(conn, &tenant, event_id, ticket.id)?;
        Ok(Some((ticket, scans)))
    })
    .await?;
    Ok(match found {
        Some((ticket, scans)) => (StatusCode::OK, views::ticket_found(&ticket, &scans, &event.timezone)),
        None => (StatusCode::NOT_FOUND, views::no_such_ticket(&code)),
    })
}
