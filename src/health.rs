//! `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: it can
//! do its work). A load balancer sends traffic only to ready instances; an orchestrator
//! restarts only dead ones, so a database outage never turns into a restart loop.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;

use crate::app::AppState;
use crate::db;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// One dependency's state: `ok`, or why not.
#[derive(Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
}

impl Check {
    fn of(name: &'static str, outcome: Result<(), String>) -> Self {
        match outcome {
            Ok(()) => Self {
                name,
                ok: true,
                detail: "ok".into(),
            },
            Err(detail) => Self {
                name,
                ok: false,
                detail,
            },
        }
    }
}

/// 200 when the database answers and the scan writer is alive, else 503; the body
/// names every check and why a failing one failed.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let timeout = state.settings.readiness_timeout;
    let (database, writer) = tokio::join!(database_answers(&state, timeout), state.scan_writer.ping(timeout));
    let checks = [Check::of("database", database), Check::of("scan_writer", writer)];
    let ready = checks.iter().all(|c| c.ok);
    let mut response = match ready {
        true => HttpResponse::Ok(),
        false => HttpResponse::ServiceUnavailable(),
    };
    response
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "ready": ready, "checks": checks }))
}

async fn database_answers(state: &AppState, timeout: Duration) -> Result<(), String> {
    let asked = db::run(&state.pool, |conn| Ok(conn.batch_execute("SELECT 1")?));
    match tokio::time::timeout(timeout, asked).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(crate::error::AppError::Unexpected(e))) => Err(format!("{e:#}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}
