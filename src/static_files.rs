//! `GET /assets/{file}`: the compiled-in assets (`ui::assets`), with year-long cache
//! headers; their URLs carry a content hash, so a new build never meets a stale copy.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::ui::assets;

pub async fn serve(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (content_type, body) = assets::find(&name).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body))
}
