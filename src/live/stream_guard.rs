//! The middleware every live stream passes: it ends the stream when shutdown begins,
//! and allows one signed-in session at most `MAX_PER_SESSION` open streams on this
//! instance (a page opens one or two; a script opening hundreds is refused with 429).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web;

use super::Shutdown;
use crate::auth::{token_hash, SESSION_COOKIE};
use crate::error::AppError;

/// Open streams one session may hold on one instance.
pub const MAX_PER_SESSION: usize = 16;

/// Open streams per session (by the hash of its token).
#[derive(Clone, Default)]
pub struct StreamQuota {
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open stream's place in the quota, given back when the stream ends.
pub struct StreamPlace {
    quota: StreamQuota,
    session: String,
}

impl StreamQuota {
    fn take(&self, session: String) -> Option<StreamPlace> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(session.clone()).or_default();
        if *count >= MAX_PER_SESSION {
            return None;
        }
        *count += 1;
        Some(StreamPlace {
            quota: self.clone(),
            session,
        })
    }
}

impl Drop for StreamPlace {
    fn drop(&mut self) {
        let mut open = self.quota.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.session) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.session);
            }
        }
    }
}

/// Needs `web::Data<Shutdown>` and `web::Data<StreamQuota>`.
pub async fn guard_streams(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let shutdown = req.app_data::<web::Data<Shutdown>>().cloned();
    let place = match (req.path().starts_with("/sse/"), req.cookie(SESSION_COOKIE)) {
        (true, Some(cookie)) => {
            let quota = req.app_data::<web::Data<StreamQuota>>().cloned();
            let place = quota.and_then(|q| q.take(token_hash(cookie.value())));
            if place.is_none() {
                let refused =
                    format!("At most {MAX_PER_SESSION} live views can be open at once. Close one and reload.");
                return Err(AppError::TooManyRequests(refused).into());
            }
            place
        }
        _ => None,
    };
    let response = next.call(req).await?;
    Ok(response.map_body(|head, body| {
        let streams = head
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        match shutdown {
            Some(shutdown) if streams => shutdown.end_on_shutdown(body.boxed(), place).boxed(),
            _ => body.boxed(),
        }
    }))
}
