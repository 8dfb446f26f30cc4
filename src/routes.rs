//! The route table: every URL the console answers, in one place.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::{auth, dashboard, events, health, kiosk, scanning, ui};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(path_config())
        .app_data(query_config())
        .app_data(form_config())
        .route("/", web::get().to(events::handlers::home))
        .route("/healthz", web::route().guard(get_or_head()).to(health::healthz))
        .route("/readyz", web::route().guard(get_or_head()).to(health::readyz))
        .service(web::resource("/assets/{file}").route(web::route().guard(get_or_head()).to(ui::assets::serve)))
        .route("/login", web::get().to(auth::handlers::login_page))
        .route("/login", web::post().to(auth::handlers::login))
        .route("/logout", web::post().to(auth::handlers::logout))
        .route("/events", web::get().to(events::handlers::list_events))
        .route("/events/{id}", web::get().to(dashboard::handlers::show_dashboard))
        .route("/events/{id}/scans", web::get().to(scanning::handlers::scan_monitor))
        .route("/events/{id}/kiosk-links", web::get().to(kiosk::handlers::list_links))
        .route("/events/{id}/kiosk-links", web::post().to(kiosk::handlers::create_link))
        .route(
            "/events/{id}/kiosk-links/{link}/revoke",
            web::post().to(kiosk::handlers::revoke_link),
        )
        .route("/kiosk/{token}", web::get().to(kiosk::handlers::kiosk))
        .route("/kiosk/{token}/stream", web::get().to(kiosk::handlers::kiosk_stream))
        .route(
            "/sse/events/{id}/occupancy",
            web::get().to(dashboard::handlers::dashboard_stream),
        )
        .route(
            "/sse/events/{id}/scans",
            web::get().to(scanning::handlers::scans_stream),
        )
        // Order management.
        .route("/orders", web::get().to(crate::orders::handlers::list_orders))
        .route("/orders.csv", web::get().to(crate::orders::handlers::export_orders))
        .route("/orders/{id}", web::get().to(crate::orders::order_handlers::show_order))
        .route(
            "/orders/{id}/refund",
            web::get().to(crate::orders::order_handlers::review_refund),
        )
        .route(
            "/orders/{id}/refund",
            web::post().to(crate::orders::order_handlers::refund_order),
        )
        .route(
            "/orders/{id}/resend-confirmation",
            web::post().to(crate::orders::order_handlers::resend_confirmation),
        )
        .route("/sse/orders", web::get().to(crate::orders::handlers::orders_stream))
        .service(
            web::scope("/api/v1")
                .app_data(scanning::api::json_config())
                .route("/scans", web::post().to(scanning::api::post_scans))
                .route("/devices/heartbeat", web::post().to(scanning::api::post_heartbeat))
                .default_service(web::to(api_not_found)),
        )
        .default_service(web::to(not_found));
}

async fn api_not_found() -> Result<HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::NotFound)
}

fn get_or_head() -> impl actix_web::guard::Guard {
    actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head())
}

async fn not_found(_req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// An id that is not a number is a page that does not exist.
fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into())
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| AppError::bad_request(format!("Invalid query string: {e}")).into())
}

fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| AppError::bad_request(format!("Invalid form: {e}")).into())
}
