//! `GET /` (to the event list) and `GET /events`.

use actix_web::{web, HttpResponse};

use super::queries;
use super::views;
use crate::auth::CurrentUser;
use crate::db::{self, Pool};
use crate::error::with_db;
use crate::error::AppError;
use crate::paths;
use crate::ui::{html, see_other};

pub async fn home() -> HttpResponse {
    see_other(paths::EVENTS)
}

pub async fn list_events(pool: web::Data<Pool>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let tenant = user.tenant();
    let events = with_db(&pool, move |conn| Ok(queries::list_events(conn, &tenant)?)).await?;
    Ok(html(views::events_page(&user.viewer(), &events, db::now_ms())))
}
