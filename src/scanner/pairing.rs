//! Pairing links and the devices they make. A link's token is stored only as its
//! SHA-256 and is good once, for ten minutes: using it makes the device in the same
//! transaction that spends the link, so two phones racing on one link get one device.

use diesel::prelude::*;

use crate::audit::{self, Action, Subject};
use crate::auth::{random_token, token_hash};
use crate::db::schema::{device_pairings, devices, events, gates};
use crate::db::{DbConnection, Tenant};
use crate::error::AppError;
use crate::provisioning::create_device;
use crate::with_backend;

/// How long a pairing link can be used.
pub const PAIRING_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// Who asks for a link, for which gate; no user when it comes from the command line.
#[derive(Clone, Copy, Debug)]
pub struct NewPairing {
    pub tenant: Tenant,
    pub event_id: i64,
    pub gate_id: i64,
    pub created_by: Option<i64>,
}

impl NewPairing {
    /// A link `user` asks for.
    pub fn by(user: &crate::auth::CurrentUser, event_id: i64, gate_id: i64) -> Self {
        Self {
            tenant: user.tenant(),
            event_id,
            gate_id,
            created_by: Some(user.user_id),
        }
    }
}

/// A link just made: its token (shown once, never stored) and when it expires.
pub struct PairingLink {
    pub token: String,
    pub expires_at: i64,
}

/// Makes a pairing link and audits it, in the caller's transaction.
pub fn create_pairing(conn: &mut DbConnection, pairing: &NewPairing, now: i64) -> QueryResult<PairingLink> {
    let token = random_token();
    let expires_at = now + PAIRING_LIFETIME_MS;
    let id: i64 = with_backend!(conn, |c| diesel::insert_into(device_pairings::table)
        .values((
            device_pairings::organization_id.eq(pairing.tenant.organization_id()),
            device_pairings::event_id.eq(pairing.event_id),
            device_pairings::gate_id.eq(pairing.gate_id),
            device_pairings::token_hash.eq(token_hash(&token)),
            device_pairings::created_by.eq(pairing.created_by),
            device_pairings::created_at.eq(now),
            device_pairings::expires_at.eq(expires_at),
        ))
        .returning(device_pairings::id)
        .get_result(c))?;
    let details = format!("pairing link {id}, gate {}", pairing.gate_id);
    let entry = audit::Entry {
        action: Action::PairingLinkCreated,
        user_id: pairing.created_by,
        subject: Subject::Event(pairing.event_id),
        details: &details,
    };
    audit::record(conn, &pairing.tenant, &entry, now)?;
    Ok(PairingLink { token, expires_at })
}

/// What a pairing link offers to make.
#[derive(Clone, Debug)]
pub struct PairingOffer {
    pub tenant: Tenant,
    pub pairing_id: i64,
    pub event_id: i64,
    pub event_name: String,
    pub gate_id: i64,
    pub gate_name: String,
    pub created_by: Option<i64>,
    pub expires_at: i64,
}

/// A link's token, looked up: open, or spent (used or expired), or nothing's.
pub enum LinkState {
    Open(PairingOffer),
    Used,
    Expired,
}

impl LinkState {
    /// The open offer, or why there is none as a page can say it.
    pub fn open(self) -> Result<PairingOffer, AppError> {
        match self {
            Self::Open(offer) => Ok(offer),
            Self::Used => Err(used_link()),
            Self::Expired => Err(AppError::Gone(
                "This pairing link has expired (links last ten minutes). Ask a supervisor for a new one.".into(),
            )),
        }
    }
}

fn used_link() -> AppError {
    AppError::Gone("This pairing link was used already: a link pairs one phone. Ask a supervisor for a new one.".into())
}

type OfferRow = (i64, i64, i64, String, i64, String, Option<i64>, i64, Option<i64>);

/// The link of this token as it stands at `now`; None when no link has it.
pub fn find_pairing(conn: &mut DbConnection, token: &str, now: i64) -> QueryResult<Option<LinkState>> {
    let row: Option<OfferRow> = device_pairings::table
        .inner_join(events::table.on(events::id.eq(device_pairings::event_id)))
        .inner_join(gates::table.on(gates::id.eq(device_pairings::gate_id)))
        .filter(device_pairings::token_hash.eq(token_hash(token)))
        .select((
            device_pairings::id,
            device_pairings::organization_id,
            device_pairings::event_id,
            events::name,
            device_pairings::gate_id,
            gates::name,
            device_pairings::created_by,
            device_pairings::expires_at,
            device_pairings::used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(pairing_id, org, event_id, event_name, gate_id, gate_name, created_by, expires_at, used_at)| match (
            used_at,
            expires_at <= now,
        ) {
            (Some(_), _) => LinkState::Used,
            (None, true) => LinkState::Expired,
            (None, false) => LinkState::Open(PairingOffer {
                tenant: Tenant::authenticated(org),
                pairing_id,
                event_id,
                event_name,
                gate_id,
                gate_name,
                created_by,
                expires_at,
            }),
        },
    ))
}

/// A phone just paired: its device, and the token that now lives only on that phone.
pub struct PairedDevice {
    pub device_id: i64,
    pub device_name: String,
    pub token: String,
    pub event_id: i64,
    pub event_name: String,
    pub gate_name: String,
}

/// Spends the link and makes its device, with the device's audit entry, in the
/// caller's write transaction. A link that is not open (or was spent a moment ago by a
/// faster phone) is refused before anything is written.
pub fn use_pairing(conn: &mut DbConnection, token: &str, now: i64) -> QueryResult<Result<PairedDevice, AppError>> {
    let offer = match find_pairing(conn, token, now)?.map(LinkState::open) {
        Some(Ok(offer)) => offer,
        Some(Err(refusal)) => return Ok(Err(refusal)),
        None => return Ok(Err(AppError::NotFound)),
    };
    let spent = diesel::update(device_pairings::table)
        .filter(device_pairings::id.eq(offer.pairing_id))
        .filter(device_pairings::used_at.is_null())
        .set(device_pairings::used_at.eq(now))
        .execute(conn)?;
    if spent != 1 {
        return Ok(Err(used_link()));
    }
    let device_name = next_phone_name(conn, &offer)?;
    let (device_id, device_token) = create_device(conn, &offer.tenant, offer.event_id, offer.gate_id, &device_name)?;
    diesel::update(device_pairings::table.filter(device_pairings::id.eq(offer.pairing_id)))
        .set(device_pairings::device_id.eq(device_id))
        .execute(conn)?;
    let details = format!(
        "paired a phone at gate {} (pairing link {})",
        offer.gate_name, offer.pairing_id
    );
    let entry = audit::Entry {
        action: Action::DeviceCreated,
        user_id: offer.created_by,
        subject: Subject::Device(device_id),
        details: &details,
    };
    audit::record(conn, &offer.tenant, &entry, now)?;
    Ok(Ok(PairedDevice {
        device_id,
        device_name,
        token: device_token,
        event_id: offer.event_id,
        event_name: offer.event_name,
        gate_name: offer.gate_name,
    }))
}

/// "North phone 3": the gate's name and one more than the devices it ever had.
fn next_phone_name(conn: &mut DbConnection, offer: &PairingOffer) -> QueryResult<String> {
    let at_gate: i64 = devices::table
        .filter(devices::organization_id.eq(offer.tenant.organization_id()))
        .filter(devices::gate_id.eq(offer.gate_id))
        .count()
        .get_result(conn)?;
    Ok(format!("{} phone {}", offer.gate_name, at_gate + 1))
}

/// Revokes one of the event's active devices with its audit entry; false when the
/// tenant's event has no such active device.
pub fn revoke_device(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    device_id: i64,
    user_id: i64,
) -> QueryResult<bool> {
    let details = format!("event {event_id}, from the scan monitor");
    let revoke = crate::provisioning::Revocation {
        device_id,
        event_id: Some(event_id),
        by: Some(user_id),
        details: &details,
    };
    crate::provisioning::revoke_active_device(conn, tenant, &revoke)
}
