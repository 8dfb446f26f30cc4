//! `GET /api/v1/tickets`: the device's event's tickets for deciding offline, each under
//! the first 64 bits of its code's SHA-256 (a copy on a lost phone names no code), with
//! its state: `in`, `out`, `refunded`, `cancelled`, or `type` (this gate does not admit
//! its type). One read per gate at most every `FRESH_FOR`, shared by its devices; an
//! unchanged list answers 304 to the `ETag` it was sent with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::contract::{ErrorAnswer, OfflineTickets};
use super::{ApiError, ScanningDevice};
use crate::db::{self, Pool};
use crate::queries::{ticket_states, TicketState};
use crate::tokens::token_hash;

/// How long a gate's list is served before it is read again.
const FRESH_FOR: Duration = Duration::from_secs(10);

/// A gate's list as sent: its bytes and their tag.
struct TicketList {
    etag: String,
    body: String,
}

/// The lists read lately, by gate.
#[derive(Default)]
pub struct TicketLists {
    lists: Mutex<HashMap<i64, (Instant, Arc<TicketList>)>>,
}

impl TicketLists {
    fn fresh(&self, gate_id: i64) -> Option<Arc<TicketList>> {
        let lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists
            .get(&gate_id)
            .filter(|(read_at, _)| read_at.elapsed() < FRESH_FOR)
            .map(|(_, list)| list.clone())
    }

    fn keep(&self, gate_id: i64, list: Arc<TicketList>) {
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists.retain(|_, (read_at, _)| read_at.elapsed() < FRESH_FOR);
        lists.insert(gate_id, (Instant::now(), list));
    }
}

impl TicketLists {
    /// The gate's list, read again when it is older than `FRESH_FOR`. Read from the
    /// pages' pool: a big read that is not the scan path, and must not queue in front
    /// of it on the gates' connections.
    async fn of(&self, pool: &Pool, device: &ScanningDevice) -> Result<Arc<TicketList>, ApiError> {
        let (tenant, device) = (device.tenant, device.device);
        if let Some(list) = self.fresh(device.gate_id) {
            return Ok(list);
        }
        let states = db::run(pool, move |conn| {
            Ok(ticket_states(conn, &tenant, device.event_id, device.gate_id)?)
        })
        .await?;
        let list = Arc::new(list_of(&states));
        self.keep(device.gate_id, list.clone());
        Ok(list)
    }
}

/// The device's event's tickets for deciding offline (at most 10 s old).
#[utoipa::path(get, path = "/api/v1/tickets", tag = "devices",
    security(("device_token" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of the list the device holds")),
    responses(
        (status = 200, description = "The list, with its ETag", body = OfflineTickets,
            headers(("ETag" = String, description = "Send it back as If-None-Match"))),
        (status = 304, description = "The list the device holds is current"),
        (status = 401, description = "Missing, unknown or revoked device token", body = ErrorAnswer),
        (status = 503, description = "Briefly unavailable: ask again later", body = ErrorAnswer),
    ))]
pub async fn get_tickets(
    pool: web::Data<Pool>,
    lists: web::Data<TicketLists>,
    device: ScanningDevice,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let list = lists.of(&pool, &device).await?;
    let seen = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if seen == Some(list.etag.as_str()) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, list.etag.clone()))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, list.etag.clone()))
        .body(list.body.clone()))
}

fn list_of(states: &[TicketState]) -> TicketList {
    let tickets: serde_json::Map<String, serde_json::Value> = states
        .iter()
        .map(|ticket| (token_hash(&ticket.code)[..16].to_owned(), state_of(ticket).into()))
        .collect();
    let body = serde_json::json!({ "tickets": tickets }).to_string();
    let etag = format!("\"{}\"", &token_hash(&body)[..32]);
    TicketList { etag, body }
}

fn state_of(ticket: &TicketState) -> &str {
    match (ticket.status.as_str(), ticket.inside, ticket.admitted_here) {
        ("valid", _, false) => "type",
        ("valid", true, true) => "in",
        ("valid", false, true) => "out",
        (other, _, _) => other,
    }
}
