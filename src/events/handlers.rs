//! `GET /events`.

use actix_web::{http::header, web, HttpResponse};

use super::queries;
use super::views;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
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
