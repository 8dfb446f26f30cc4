//! `bench-fanout`'s data, written through the library: organisations with an owner and
//! events, each event with sold tickets nobody has scanned yet, a gate and its scanning
//! device, and kiosk links; sessions for the owners' streams are opened as needed.

use anyhow::Context;

use voelgoed::auth::{open_session, Role};
use voelgoed::db::{self, DatabaseUrl, Pool, Tenant};
use voelgoed::kiosk::{create_kiosk_link, LinkRequest};
use voelgoed::provisioning;
use voelgoed::provisioning::bulk::{ticket_codes, Codes, EventToFill, OrderWriter, TypeToFill};

/// Kiosk links per event (the kiosk clients of an event share them round-robin).
const KIOSKS_PER_EVENT: usize = 8;

/// One seeded event: who owns it, how its clients reach it, what to scan.
pub struct SeededEvent {
    pub tenant: Tenant,
    pub owner_id: i64,
    pub event_id: i64,
    pub device_token: String,
    pub kiosk_tokens: Vec<String>,
    /// Valid tickets nobody has scanned, scanned in by the run.
    pub codes: Vec<String>,
}

/// `orgs` organisations with `events_per_org` events of `tickets` tickets each.
pub async fn seed(
    url: &DatabaseUrl,
    orgs: usize,
    events_per_org: usize,
    tickets: i64,
) -> anyhow::Result<(Pool, Vec<SeededEvent>)> {
    let pool: Pool = db::connect_for_bulk_writes(url).context("cannot open the bench database")?;
    db::migrate(&pool)?;
    let mut seeded = Vec::new();
    for org in 0..orgs {
        let (org_pool, per_org) = (pool.clone(), events_per_org);
        let mut events = tokio::task::spawn_blocking(move || seed_org(&org_pool, org, per_org, tickets)).await??;
        for event in &mut events {
            for _ in 0..KIOSKS_PER_EVENT {
                let request = LinkRequest {
                    tenant: event.tenant,
                    user_id: event.owner_id,
                    event_id: event.event_id,
                    gate_id: None,
                };
                let token = create_kiosk_link(&pool, request)
                    .await
                    .map_err(|e| anyhow::anyhow!("kiosk link: {e}"))?;
                event.kiosk_tokens.push(token);
            }
        }
        seeded.extend(events);
    }
    Ok((pool, seeded))
}

fn seed_org(pool: &Pool, org: usize, events: usize, wanted: i64) -> anyhow::Result<Vec<SeededEvent>> {
    let mut conn = pool.get()?;
    let tenant = provisioning::create_organization(&mut conn, &format!("Fanout Org {org}"), "Europe/Amsterdam")?;
    let email = format!("owner@fanout-{org}.test");
    let owner_id = provisioning::create_user_with_hash(&mut conn, &tenant, &email, "Bench", "!", Role::Owner)?;
    let now = db::now_ms();
    let mut seeded = Vec::new();
    for index in 0..events {
        let name = format!("Fanout Festival {org}.{index}");
        let event = crate::event_under_way(&name, wanted * 2, now - 86_400_000);
        let event_id = provisioning::create_event(&mut conn, &tenant, &event)?;
        let type_id = provisioning::create_ticket_type(&mut conn, &tenant, event_id, "Day", 5_000, wanted * 2)?;
        let mut fill = EventToFill {
            event_id,
            ticket_types: vec![TypeToFill {
                id: type_id,
                price: 5_000,
                left: wanted,
            }],
            sold_from: now - 86_400_000,
            sold_until: now - 60_000,
            max_tickets: 4,
        };
        let mut writer = OrderWriter::new(&mut conn)?;
        while writer.add_order(&tenant, &mut fill, owner_id) {}
        writer.flush(&mut conn)?;
        writer.finish(&mut conn)?;
        let codes = ticket_codes(&mut conn, &tenant, event_id, Codes::Valid, None)?;
        let gate = provisioning::find_or_create_gate(&mut conn, &tenant, event_id, "Main")?;
        let (_, device_token) = provisioning::create_device(&mut conn, &tenant, event_id, gate, "Bench scanner")?;
        seeded.push(SeededEvent {
            tenant,
            owner_id,
            event_id,
            device_token,
            kiosk_tokens: Vec::new(),
            codes,
        });
    }
    Ok(seeded)
}

/// A new session of the event's owner: the session cookie's value.
pub async fn session(pool: &Pool, owner_id: i64) -> anyhow::Result<String> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        Ok(open_session(&mut conn, owner_id, 86_400_000)?)
    })
    .await?
}
