//! The festival's zones: an Arena everyone enters through North, South and the VIP
//! entrance, a VIP deck up the VIP stairs (VIP tickets only, refused when full) and
//! Backstage behind the Backstage door (VIP tickets only, warned when full). The crowd
//! already inside stands in the arena, some VIP holders on the deck and backstage.

use diesel::prelude::*;

use voelgoed::db::schema::{ticket_types, tickets, zones};
use voelgoed::db::{DbConnection, Tenant};
use voelgoed::domain::WhenFull;
use voelgoed::zones::model::ZoneSettings;
use voelgoed::zones::setup::{save_zone, set_passage};
use voelgoed::{provisioning, scanning};

/// Sets the zones and passages up and places those inside.
pub fn seed_festival_zones(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> anyhow::Result<()> {
    let vip: Vec<i64> = ticket_types::table
        .filter(ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(ticket_types::event_id.eq(event_id))
        .filter(ticket_types::name.eq("VIP"))
        .select(ticket_types::id)
        .load(conn)?;
    let zone = |name: &str, capacity: i64, when_full: WhenFull, types: Vec<i64>| {
        ZoneSettings::new(name, capacity, when_full, types).map_err(anyhow::Error::msg)
    };
    let arena = save_zone(
        conn,
        tenant,
        None,
        event_id,
        None,
        &zone("Arena", 38_000, WhenFull::Warn, vec![])?,
    )?;
    let deck = save_zone(
        conn,
        tenant,
        None,
        event_id,
        None,
        &zone("VIP deck", 900, WhenFull::Refuse, vip.clone())?,
    )?;
    let backstage = save_zone(
        conn,
        tenant,
        None,
        event_id,
        None,
        &zone("Backstage", 120, WhenFull::Warn, vip)?,
    )?;
    for (gate, from, to) in [
        ("North", None, arena),
        ("South", None, arena),
        ("VIP", None, arena),
        ("VIP stairs", Some(arena), deck),
        ("Backstage door", Some(arena), backstage),
    ] {
        let gate_id = scanning::find_or_create_gate(conn, tenant, event_id, gate)?;
        if from.is_some() {
            provisioning::create_device(conn, tenant, event_id, gate_id, &format!("{gate} scanner"))?;
        }
        set_passage(conn, tenant, None, event_id, gate_id, Some((from, to)))?;
    }
    place_crowd(
        conn,
        tenant,
        event_id,
        [(arena, None), (deck, Some(700)), (backstage, Some(90))],
    )
}

/// Everyone inside into the arena, then up to `n` VIP holders into each other zone; the
/// zones' counts as the tickets then say.
fn place_crowd(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    places: [(i64, Option<i64>); 3],
) -> anyhow::Result<()> {
    let org = tenant.organization_id();
    let inside = tickets::table
        .filter(tickets::organization_id.eq(org))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::inside_since.is_not_null());
    let [(arena, _), ..] = places;
    diesel::update(inside)
        .set(tickets::inside_zone_id.eq(arena))
        .execute(conn)?;
    for (zone, n) in places.into_iter().skip(1) {
        let vip_in_arena: Vec<i64> = inside
            .inner_join(ticket_types::table.on(ticket_types::id.eq(tickets::ticket_type_id)))
            .filter(ticket_types::name.eq("VIP"))
            .filter(tickets::inside_zone_id.eq(arena))
            .select(tickets::id)
            .limit(n.unwrap_or(0))
            .load(conn)?;
        diesel::update(tickets::table.filter(tickets::id.eq_any(&vip_in_arena)))
            .set(tickets::inside_zone_id.eq(zone))
            .execute(conn)?;
    }
    for (zone, _) in places {
        let people: i64 = inside
            .filter(tickets::inside_zone_id.eq(zone))
            .count()
            .get_result(conn)?;
        diesel::update(zones::table.find(zone))
            .set(zones::inside.eq(people))
            .execute(conn)?;
    }
    Ok(())
}
