//! The demo data set: "Demo Events" (its four roles: `logins.rs`) and "Other Org", each with a
//! past, a live and a future event; the live one of Demo Events with ~20,000 orders and
//! a crowd already inside (arrived along the arrival curve) and standing in its zones
//! (`zones`); the past events with their whole scan history (`history`).

use diesel::prelude::*;
use rand::Rng;

use super::history;
use voelgoed::auth::{hash_password, Role};
use voelgoed::db::schema::{organizations, scans, tickets};
use voelgoed::db::{self, DbConnection, Tenant};
use voelgoed::provisioning::bulk::{EventToFill, OrderWriter, TypeToFill};
use voelgoed::provisioning::{self, NewEvent};
use voelgoed::with_backend;

pub use super::logins::LOGINS;

/// The live event of Demo Events, which the simulator keeps busy.
pub const FESTIVAL: &str = "Voelgoed Summer Festival";

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The festival's id (the demo's live event).
pub fn festival(conn: &mut DbConnection) -> anyhow::Result<i64> {
    use voelgoed::db::schema::events;
    Ok(events::table
        .filter(events::name.eq(FESTIVAL))
        .select(events::id)
        .order(events::id)
        .first(conn)?)
}

/// Seeds the demo when the database has no organisation yet. Returns true if it did.
pub fn seed_if_empty(conn: &mut DbConnection, live_orders: u64) -> anyhow::Result<bool> {
    let existing: i64 = organizations::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(false);
    }
    let (demo, owner, door_staff) = super::logins::seed_logins(conn)?;
    let now = db::now_ms();
    let mut writer = OrderWriter::new(conn)?;
    let festival = DemoEvent {
        name: FESTIVAL,
        venue: "Westerpark, Amsterdam",
        starts_at: now - 2 * HOUR,
        hours: 10,
        timezone: "Europe/Amsterdam",
        currency: "EUR",
        types: &[
            ("Day ticket", 4_500, 30_000),
            ("Early bird", 3_500, 6_000),
            ("VIP", 12_000, 4_000),
        ],
        gates: &["North", "South", "VIP"],
    };
    let mut live = festival.create(conn, &demo)?;
    super::logins::assign_event(conn, &demo, &door_staff, live.event_id)?;
    fill(&mut writer, conn, &demo, &mut live, owner, live_orders, 0.5)?;
    super::zones::seed_festival_zones(conn, &demo, live.event_id)?;
    let jazz = DemoEvent {
        name: "Autumn Jazz Night",
        venue: "Paradiso",
        starts_at: now - 30 * DAY,
        hours: 5,
        types: &[("Standing", 3_000, 1_200)],
        gates: &["Main"],
        ..festival
    };
    let mut past = jazz.create(conn, &demo)?;
    fill(&mut writer, conn, &demo, &mut past, owner, 900, 0.0)?;
    history::seed_past_event(conn, &demo, past.event_id)?;
    let gala = DemoEvent {
        name: "New Year's Eve Gala",
        venue: "Beurs van Berlage",
        starts_at: now + 36 * DAY,
        hours: 6,
        types: &[("Dinner & dance", 18_500, 600), ("Dance only", 6_500, 900)],
        gates: &["Entrance"],
        ..festival
    };
    let mut future = gala.create(conn, &demo)?;
    fill(&mut writer, conn, &demo, &mut future, owner, 300, 0.0)?;
    seed_other_organization(conn, &mut writer, now)?;
    writer.finish(conn)?;
    Ok(true)
}

/// A second organisation in another time zone and currency, whose data the demo's
/// logins must never see.
fn seed_other_organization(conn: &mut DbConnection, writer: &mut OrderWriter, now: i64) -> anyhow::Result<()> {
    let other = provisioning::create_organization(conn, "Other Org", "Africa/Johannesburg")?;
    let other_owner = provisioning::create_user_with_hash(
        conn,
        &other,
        "owner@other.test",
        "Olu Other",
        &hash_password("other-owner")?,
        Role::Owner,
    )?;
    for (name, starts_at) in [
        ("Kaapstad Jazz", now - HOUR),
        ("Karoo Stargazing", now + 20 * DAY),
        ("Winelands Fair", now - 60 * DAY),
    ] {
        let event = DemoEvent {
            name,
            venue: "Cape Town",
            starts_at,
            hours: 8,
            timezone: "Africa/Johannesburg",
            currency: "ZAR",
            types: &[("General", 25_000, 3_000)],
            gates: &["Gate A"],
        };
        let mut created = event.create(conn, &other)?;
        fill(
            writer,
            conn,
            &other,
            &mut created,
            other_owner,
            400,
            if starts_at < now && starts_at > now - DAY {
                0.4
            } else {
                0.0
            },
        )?;
        if starts_at < now - DAY {
            history::seed_past_event(conn, &other, created.event_id)?;
        }
    }
    Ok(())
}

struct DemoEvent<'a> {
    name: &'a str,
    venue: &'a str,
    starts_at: i64,
    hours: i64,
    timezone: &'a str,
    currency: &'a str,
    types: &'a [(&'a str, i64, i64)],
    gates: &'a [&'a str],
}

impl DemoEvent<'_> {
    /// Creates the event, its ticket types, and gates with two scanning devices each.
    fn create(&self, conn: &mut DbConnection, tenant: &Tenant) -> anyhow::Result<EventToFill> {
        let capacity = self.types.iter().map(|(_, _, cap)| cap).sum();
        let sales_open_at = self.starts_at - 60 * DAY;
        let event_id = provisioning::create_event(
            conn,
            tenant,
            &NewEvent {
                name: self.name,
                venue: self.venue,
                starts_at: self.starts_at,
                ends_at: self.starts_at + self.hours * HOUR,
                timezone: self.timezone,
                capacity,
                currency: self.currency,
                sales_open_at,
            },
        )?;
        let mut ticket_types = Vec::new();
        for (name, price, cap) in self.types {
            let id = provisioning::create_ticket_type(conn, tenant, event_id, name, *price, *cap)?;
            ticket_types.push(TypeToFill {
                id,
                price: *price,
                left: *cap,
            });
        }
        for gate in self.gates {
            let gate_id = provisioning::find_or_create_gate(conn, tenant, event_id, gate)?;
            for n in 1..=2 {
                provisioning::create_device(conn, tenant, event_id, gate_id, &format!("{gate} scanner {n}"))?;
            }
        }
        let sold_until = db::now_ms().min(self.starts_at + self.hours * HOUR);
        Ok(EventToFill {
            event_id,
            ticket_types,
            sold_from: sales_open_at,
            sold_until,
            max_tickets: 2,
        })
    }
}

/// Sells `orders` orders for the event and admits `admit_share` of its valid tickets
/// through its gates (for an event that is on now).
fn fill(
    writer: &mut OrderWriter,
    conn: &mut DbConnection,
    tenant: &Tenant,
    event: &mut EventToFill,
    owner_id: i64,
    orders: u64,
    admit_share: f64,
) -> anyhow::Result<()> {
    for _ in 0..orders {
        if !writer.add_order(tenant, event, owner_id) {
            break;
        }
    }
    let mut rng = rand::rng();
    let admitted: Vec<(i64, String)> = writer
        .pending_tickets()
        .filter(|t| t.status.is_valid() && rng.random_bool(admit_share))
        .map(|t| (t.id, t.code.clone()))
        .collect();
    writer.flush(conn)?;
    admit(conn, tenant, event.event_id, &admitted)?;
    Ok(())
}

/// Records a valid entry scan for each ticket, spread over the event's gates' devices.
fn admit(conn: &mut DbConnection, tenant: &Tenant, event_id: i64, tickets: &[(i64, String)]) -> anyhow::Result<()> {
    let devices = voelgoed::scanning::gate_devices(conn, tenant, event_id)?;
    if devices.is_empty() || tickets.is_empty() {
        return Ok(());
    }
    let now = db::now_ms();
    let starts_at = voelgoed::events::queries::find_event(conn, tenant, event_id)?.starts_at;
    // Along the arrival curve since doors opened, so the chart shows doors, a peak, a tail.
    let arrived = history::arrival_times(starts_at, now, tickets.len());
    let rows: Vec<_> = tickets
        .iter()
        .enumerate()
        .map(|(n, (ticket_id, code))| {
            let device = devices[n % devices.len()];
            let at = arrived[n];
            (
                scans::organization_id.eq(tenant.organization_id()),
                scans::event_id.eq(event_id),
                scans::device_scan_id.eq(format!("seed-{event_id}-{ticket_id}")),
                scans::ticket_code.eq(code.clone()),
                scans::ticket_id.eq(Some(*ticket_id)),
                scans::gate_id.eq(device.gate_id),
                scans::device_id.eq(device.device_id),
                scans::direction.eq("in"),
                scans::scanned_at.eq(at),
                scans::received_at.eq(at),
                scans::result.eq("valid"),
            )
        })
        .collect();
    db::write_transaction(conn, |conn| {
        for chunk in rows.chunks(2_000) {
            with_backend!(&mut *conn, |c| diesel::insert_into(scans::table)
                .values(chunk)
                .execute(c))?;
        }
        // The admitted are inside now: the state the gates decide on.
        for (n, (ticket_id, _)) in tickets.iter().enumerate() {
            diesel::update(tickets::table.find(ticket_id))
                .set((
                    tickets::inside_since.eq(arrived[n]),
                    tickets::inside_gate_id.eq(devices[n % devices.len()].gate_id),
                ))
                .execute(conn)?;
        }
        Ok(())
    })?;
    Ok(())
}
