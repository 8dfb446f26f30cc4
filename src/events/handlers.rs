//! `GET /` (to the event list) and `GET /events`.

use actix_web::{web, HttpResponse};

use super::queries;
use super::views;
use crate::auth::{CurrentUser, Permission};
use crate::db::{self, Pool};
use crate::error::with_db;
use crate::error::AppError;
use crate::paths;
use crate::ui::{html, see_other};

pub async fn home() -> HttpResponse {
    see_other(paths::EVENTS)
}

pub async fn list_events(pool: web::Data<Pool>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    user.require(Permission::ViewOverview)?;
    let tenant = user.tenant();
    let mut events = with_db(&pool, move |conn| Ok(queries::list_events(conn, &tenant)?)).await?;
    // Supervisors and stewards see the events assigned to them.
    events.retain(|event| user.may_see_event(event.event.id));
    Ok(html(views::events_page(&user.viewer(), &events, db::now_ms())))
}
