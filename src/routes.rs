//! The route table: every URL the console answers, in one place, in three parts that
//! pass through different middleware (`startup/layers.rs`): the device API, the
//! probes and the pages.

use actix_web::{web, HttpRequest, HttpResponse, Resource, Scope};

use crate::error::AppError;
use crate::{
    account, dashboard, door, events, gate_alerts, health, kiosk, monitor, overview, paths, scanner, scanning, signin,
    static_files, team, webhooks,
};

/// The device API: JSON in and out, for scanners.
pub fn device_api() -> Scope {
    web::scope(paths::API)
        .app_data(scanning::api::json_config())
        .route(paths::API_SCANS, web::post().to(scanning::api::post_scans))
        .route(paths::API_HEARTBEAT, web::post().to(scanning::api::post_heartbeat))
        .route(paths::API_DEVICE, web::get().to(scanning::api::get_device))
        .route(paths::API_TICKETS, web::get().to(scanning::api::get_tickets))
        .route(paths::API_PAIR, web::post().to(scanner::api::pair_device))
        .route(paths::API_OPENAPI, web::get().to(crate::openapi::openapi_json))
        .default_service(web::to(api_not_found))
}

/// Liveness and readiness, for load balancers and orchestrators.
pub fn probes() -> [Resource; 2] {
    [
        web::resource(paths::HEALTHZ).route(web::route().guard(get_or_head()).to(health::healthz)),
        web::resource(paths::READYZ).route(web::route().guard(get_or_head()).to(health::readyz)),
    ]
}

/// Every page, fragment, live stream, download and asset: whatever the other parts do
/// not take (so it is registered last).
pub fn pages() -> Scope {
    web::scope("")
        .app_data(path_config())
        .app_data(query_config())
        .app_data(form_config())
        .route(paths::HOME, web::get().to(events::handlers::home))
        .route(paths::METRICS, web::get().to(crate::telemetry::metrics))
        .service(web::resource(paths::ASSET).route(web::route().guard(get_or_head()).to(static_files::serve)))
        .route(paths::LOGIN, web::get().to(signin::handlers::login_page))
        .route(paths::LOGIN, web::post().to(signin::handlers::login))
        .route(paths::LOGIN_CODE, web::get().to(signin::second_step::show_code_step))
        .route(paths::LOGIN_CODE, web::post().to(signin::second_step::submit_code))
        .route(paths::LOGOUT, web::post().to(signin::handlers::logout))
        .route(
            paths::LOGOUT_EVERYWHERE,
            web::post().to(signin::handlers::logout_everywhere),
        )
        .route(paths::EVENTS, web::get().to(overview::handlers::list_events))
        .route(
            paths::EVENTS_OVERVIEW_STREAM,
            web::get().to(overview::handlers::overview_stream),
        )
        .route(
            paths::EVENT_DASHBOARD,
            web::get().to(dashboard::handlers::show_dashboard),
        )
        .route(paths::SCAN_MONITOR, web::get().to(monitor::handlers::scan_monitor))
        .route(
            paths::ENTRY_POLICY,
            web::post().to(monitor::entry_rule::set_entry_policy),
        )
        .route(
            paths::ALERT_ACKNOWLEDGE,
            web::post().to(gate_alerts::handlers::acknowledge),
        )
        .route(paths::DOOR_LOOKUP, web::get().to(door::door_lookup))
        .configure(zone_routes)
        .route(paths::KIOSK_LINKS, web::get().to(kiosk::handlers::list_links))
        .route(paths::KIOSK_LINKS, web::post().to(kiosk::handlers::create_link))
        .route(paths::KIOSK_LINK_REVOKE, web::post().to(kiosk::handlers::revoke_link))
        .route(paths::KIOSK, web::get().to(kiosk::handlers::kiosk))
        .route(paths::KIOSK_STREAM, web::get().to(kiosk::handlers::kiosk_stream))
        .route(
            paths::DEVICE_PAIRINGS,
            web::post().to(scanner::handlers::create_pairing),
        )
        .route(paths::DEVICE_REVOKE, web::post().to(scanner::handlers::revoke_device))
        .route(paths::PAIR, web::get().to(scanner::handlers::pairing_prompt))
        .route(paths::PAIR, web::post().to(scanner::handlers::pair_phone))
        .route(paths::SCANNER, web::get().to(scanner::handlers::scanner))
        .route(paths::SCANNER_WORKER, web::get().to(scanner::handlers::service_worker))
        .route(
            paths::EVENT_DASHBOARD_STREAM,
            web::get().to(dashboard::handlers::dashboard_stream),
        )
        .route(
            paths::SCAN_MONITOR_STREAM,
            web::get().to(monitor::handlers::scans_stream),
        )
        // Two-factor sign-in of the signed-in user's own account.
        .route(paths::TWO_FACTOR, web::get().to(account::handlers::show_two_factor))
        .route(paths::TWO_FACTOR, web::post().to(account::handlers::confirm_two_factor))
        .route(
            paths::TWO_FACTOR_DISABLE,
            web::post().to(account::handlers::disable_two_factor),
        )
        .configure(order_desk_routes)
        .configure(team_and_webhook_routes)
        .default_service(web::to(not_found))
}

/// The order desk: the list, bulk jobs, one order and its changes, the audit log.
/// An event's zones, passages and headcounts.
fn zone_routes(cfg: &mut web::ServiceConfig) {
    use crate::zones::handlers;
    cfg.route(paths::ZONES, web::get().to(handlers::show_zones))
        .route(paths::ZONES, web::post().to(handlers::add_zone))
        .route(paths::ZONE, web::post().to(handlers::change_zone))
        .route(paths::ZONE_HEADCOUNT, web::post().to(handlers::correct_headcount))
        .route(paths::GATE_PASSAGE, web::post().to(handlers::set_passage))
        .route(paths::ZONE_MISMATCH, web::post().to(handlers::set_zone_mismatch));
}

fn order_desk_routes(cfg: &mut web::ServiceConfig) {
    cfg
        // Order management.
        .route(paths::ORDERS, web::get().to(crate::orders::list::list_orders))
        .route(paths::ORDERS_CSV, web::get().to(crate::orders::export::export_orders))
        // Bulk jobs before `/orders/{id}`, which would take `/orders/jobs` for an id.
        .route(paths::ORDER_JOBS, web::post().to(crate::orders::bulk::start_job))
        .route(paths::ORDER_JOB, web::get().to(crate::orders::bulk::show_job))
        .route(paths::ORDER_JOB_CSV, web::get().to(crate::orders::bulk::job_csv))
        .route(paths::ORDER_JOB_CANCEL, web::post().to(crate::orders::bulk::cancel_job))
        .route(paths::ORDER_JOB_STREAM, web::get().to(crate::orders::bulk::job_stream))
        .route(paths::ORDER, web::get().to(crate::orders::order::show_order))
        .route(paths::ORDER_REFUND, web::get().to(crate::orders::order::review_refund))
        .route(paths::ORDER_REFUND, web::post().to(crate::orders::order::refund_order))
        .route(
            paths::ORDER_TICKETS,
            web::get().to(crate::orders::order::printable_tickets),
        )
        .route(paths::ORDER_VOID, web::get().to(crate::orders::order::review_void))
        .route(paths::ORDER_VOID, web::post().to(crate::orders::order::void_order))
        .route(
            paths::ORDER_RESEND_CONFIRMATION,
            web::post().to(crate::orders::order::resend_confirmation),
        )
        .route(paths::AUDIT_LOG, web::get().to(crate::audit::handlers::show_audit_log))
        .route(paths::ORDERS_STREAM, web::get().to(crate::orders::list::orders_stream));
}

/// Owners' settings: the team and signed webhooks.
fn team_and_webhook_routes(cfg: &mut web::ServiceConfig) {
    cfg
        // The team (owners).
        .route(paths::TEAM, web::get().to(team::handlers::show_team))
        .route(paths::TEAM, web::post().to(team::handlers::add_member))
        .route(paths::TEAM_ROLE, web::post().to(team::handlers::change_member))
        .route(paths::TEAM_PASSWORD, web::post().to(team::handlers::set_password))
        .route(
            paths::TEAM_DEACTIVATE,
            web::post().to(team::handlers::deactivate_member),
        )
        .route(
            paths::TEAM_REACTIVATE,
            web::post().to(team::handlers::reactivate_member),
        )
        .route(
            paths::TEAM_TWO_FACTOR,
            web::get().to(team::two_factor_policy::show_policy),
        )
        .route(
            paths::TEAM_TWO_FACTOR,
            web::post().to(team::two_factor_policy::set_policy),
        )
        // Signed webhooks.
        .route(paths::WEBHOOKS, web::get().to(webhooks::handlers::list_webhooks))
        .route(paths::WEBHOOKS, web::post().to(webhooks::handlers::add_webhook))
        .route(paths::WEBHOOK, web::get().to(webhooks::handlers::show_webhook))
        .route(
            paths::WEBHOOK_DISABLE,
            web::post().to(webhooks::handlers::disable_webhook),
        )
        .route(
            paths::WEBHOOK_ENABLE,
            web::post().to(webhooks::handlers::enable_webhook),
        )
        .route(
            paths::WEBHOOK_DELETE,
            web::post().to(webhooks::handlers::delete_webhook),
        )
        .route(paths::WEBHOOK_TEST, web::post().to(webhooks::handlers::test_webhook));
}

async fn api_not_found() -> Result<HttpResponse, crate::scanning::ApiError> {
    Err(crate::scanning::ApiError::NotFound)
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
