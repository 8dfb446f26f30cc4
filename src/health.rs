//! `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: it can
//! do its work). A load balancer sends traffic only to ready instances; an orchestrator
//! restarts only dead ones, so a database outage never turns into a restart loop.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;

use crate::config::Settings;
use crate::db::{self, DbError, Pool};
use crate::redis_link::RedisLink;
use crate::scanning::ScanWriter;

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

/// 200 when the database answers, the scan writer is alive and (scaled out) Redis
/// answers, else 503; the body
/// names every check and why a failing one failed.
pub async fn readyz(
    settings: web::Data<Settings>,
    pool: web::Data<Pool>,
    scan_writer: web::Data<ScanWriter>,
    redis: Option<web::Data<RedisLink>>,
) -> HttpResponse {
    let timeout = settings.readiness_timeout;
    let (database, writer, redis) = tokio::join!(
        database_answers(&pool, timeout),
        scan_writer.ping(timeout),
        redis_answers(redis.as_ref().map(|link| link.get_ref()))
    );
    let mut checks = vec![Check::of("database", database), Check::of("scan_writer", writer)];
    if let Some(redis) = redis {
        checks.push(Check::of("redis", redis));
    }
    let ready = checks.iter().all(|c| c.ok);
    let mut response = match ready {
        true => HttpResponse::Ok(),
        false => HttpResponse::ServiceUnavailable(),
    };
    response
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "ready": ready, "checks": checks }))
}

/// Scaled out: Redis answers a PING (within the link's response timeout; at once
/// "unavailable" while its circuit breaker is open). None without `--redis`.
async fn redis_answers(link: Option<&RedisLink>) -> Option<Result<(), String>> {
    let link = link?;
    let ping = link
        .run(|mut conn| async move { redis::cmd("PING").query_async::<String>(&mut conn).await })
        .await;
    Some(ping.map(drop).map_err(|e| e.to_string()))
}

async fn database_answers(pool: &Pool, timeout: Duration) -> Result<(), String> {
    let asked = db::run_blocking(pool, |conn| -> Result<(), DbError> {
        Ok(conn.batch_execute("SELECT 1")?)
    });
    match tokio::time::timeout(timeout, asked).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}
