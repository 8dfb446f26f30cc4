//! Creating and revoking kiosk links: each commits together with its audit entry, and a
//! revocation then tells the link's open displays, which end at once.

use crate::audit;
use crate::auth::{random_token, token_hash};
use crate::db::{self, Pool, Tenant};
use crate::error::AppError;
use crate::live::{Bus, Channel, Update, UpdateKind};

use super::queries::{self, NewLink};
use crate::error::with_db;

/// Who asks for a link, for which event and (optionally) which gate.
#[derive(Clone, Copy, Debug)]
pub struct LinkRequest {
    pub tenant: Tenant,
    pub user_id: i64,
    pub event_id: i64,
    pub gate_id: Option<i64>,
}

/// Creates a link and audits it; the token, which is shown once and never stored.
pub async fn create_kiosk_link(pool: &Pool, request: LinkRequest) -> Result<String, AppError> {
    let token = random_token();
    let hash = token_hash(&token);
    let LinkRequest {
        tenant,
        user_id,
        event_id,
        gate_id,
    } = request;
    with_db(pool, move |conn| {
        if let Some(gate_id) = gate_id {
            if !queries::gate_of_event(conn, &tenant, event_id, gate_id)? {
                return Err(AppError::bad_request("that gate is not one of this event's gates"));
            }
        }
        let now = db::now_ms();
        let link = NewLink {
            event_id,
            gate_id,
            token_hash: &hash,
            created_by: user_id,
            now,
        };
        db::write_transaction(conn, |conn| {
            let link_id = queries::create_link(conn, &tenant, &link)?;
            let details = format!(
                "event {event_id}, {}",
                gate_id.map_or("all gates".into(), |g| format!("gate {g}"))
            );
            audit::record(
                conn,
                &tenant,
                &entry(audit::Action::KioskLinkCreated, user_id, link_id, &details),
                now,
            )
        })?;
        Ok(())
    })
    .await?;
    Ok(token)
}

/// Revokes one of the tenant's active links with its audit entry, then ends the link's
/// open displays; a link that is not active is not found.
pub async fn revoke_kiosk_link(
    pool: &Pool,
    bus: &dyn Bus,
    tenant: Tenant,
    user_id: i64,
    event_id: i64,
    link_id: i64,
) -> Result<(), AppError> {
    let revoked = with_db(pool, move |conn| {
        let now = db::now_ms();
        Ok(db::write_transaction(conn, |conn| {
            let revoked = queries::revoke_link(conn, &tenant, event_id, link_id, now)?;
            if revoked {
                let details = format!("event {event_id}");
                audit::record(
                    conn,
                    &tenant,
                    &entry(audit::Action::KioskLinkRevoked, user_id, link_id, &details),
                    now,
                )?;
            }
            Ok(revoked)
        })?)
    })
    .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    bus.publish(Update {
        channel: link_channel(&tenant, link_id),
        kind: UpdateKind::KioskRevoked,
    });
    Ok(())
}

fn entry(action: audit::Action, user_id: i64, link_id: i64, details: &str) -> audit::Entry<'_> {
    audit::Entry {
        action,
        user_id: Some(user_id),
        subject: audit::Subject::KioskLink(link_id),
        details,
    }
}

/// One kiosk link's channel: carries its revocation to its open streams.
pub(super) fn link_channel(tenant: &Tenant, link_id: i64) -> Channel {
    Channel::of_thing(tenant, "kiosk", "link", link_id)
}
