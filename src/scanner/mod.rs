//! The steward's scanner in the browser: a supervisor or owner makes a single-use
//! pairing link for a gate (on the scan monitor, or `voelgoed admin create-device
//! --pairing-link`); the phone that opens it becomes that gate's device, keeping the
//! device's key to itself, and the scanner page (`assets/scanner.js`) then speaks the
//! device API like any scanner. Revoking the device on the monitor stops the page.

pub mod api;
pub mod handlers;
mod pairing;
mod views;
mod worker;

use actix_web::HttpRequest;

use crate::db::{self, DbConnection, Pool, Tenant};
use crate::error::AppError;
use crate::live::{Bus, Channel, Update, UpdateKind};
use crate::scanning::DeviceTokens;

pub use pairing::{create_pairing, find_pairing, LinkState, NewPairing, PairingLink, PAIRING_LIFETIME_MS};

/// Makes a link for one of the event's gates, in a write transaction; the gate's name
/// and the link. A gate of another event (or organisation) is refused as bad input.
fn make_link(conn: &mut DbConnection, request: &NewPairing) -> Result<(String, PairingLink), AppError> {
    let gates = crate::scanning::event_gates(conn, &request.tenant, request.event_id)?;
    let gate = gates
        .into_iter()
        .find(|gate| gate.id == request.gate_id)
        .ok_or_else(|| AppError::bad_request("that gate is not one of this event's gates"))?;
    let link = db::write_transaction(conn, |conn| create_pairing(conn, request, db::now_ms()))?;
    Ok((gate.name, link))
}

/// `scheme://host` of the request as its client sees it, for a link another device opens.
fn origin(req: &HttpRequest) -> String {
    let scheme = match crate::client::is_secure(req) {
        true => "https",
        false => "http",
    };
    format!("{scheme}://{}", req.connection_info().host())
}

/// After a revocation: this instance forgets the devices it knew (the revoked phone's
/// next request is refused at once; other instances within `PROVEN_FOR`), and the
/// monitors redraw their device tables.
fn device_revoked(bus: &dyn Bus, tokens: &DeviceTokens, tenant: &Tenant, event_id: i64) {
    tokens.forget();
    bus.publish(Update {
        channel: Channel::scans(tenant, event_id),
        kind: UpdateKind::DeviceReported,
    });
}

/// `voelgoed admin create-device --pairing-link`: a link for the gate (made when
/// missing); prints its path.
pub fn pairing_link_command(pool: &Pool, event_id: i64, gate: &str) -> anyhow::Result<String> {
    anyhow::ensure!(!gate.trim().is_empty(), "the gate needs a name");
    crate::forms::printable(gate, "the gate's name").map_err(|e| anyhow::anyhow!(e.0))?;
    let mut conn = pool.get()?;
    let tenant = crate::events::tenant_of_event(&mut conn, event_id)?;
    let link = db::write_transaction(&mut conn, |conn| {
        let gate_id = crate::provisioning::find_or_create_gate(conn, &tenant, event_id, gate.trim())?;
        let request = NewPairing {
            tenant,
            event_id,
            gate_id,
            created_by: None,
        };
        create_pairing(conn, &request, db::now_ms())
    })?;
    Ok(crate::paths::pair(&link.token))
}
