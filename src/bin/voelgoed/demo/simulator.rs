//! The demo's simulator: buyers buy tickets and ticket holders come and go through the
//! gates of every event that is on now, at configurable rates, through the same
//! functions and bus updates as real sales and scans. The scan rate follows the arrival
//! curve's hourly cycle from each event's start (`arrival_curve`): a surge, a peak, a lull.
//! At a passage between zones the holder is someone on the side the scan walks from, so
//! the simulator moves people between the festival's arena, VIP deck and backstage.

use std::time::Duration;

use diesel::prelude::*;
use rand::Rng;

use super::arrival_curve::{exit_share, rate_factor, PEAK_FACTOR};
use voelgoed::db::schema::{events, gates, orders, ticket_types, tickets, zone_ticket_types};
use voelgoed::db::{self, DbConnection, Tenant};
use voelgoed::error::with_db;
use voelgoed::live::Bus;
use voelgoed::orders::{sell, NewOrder, OrderItem};
use voelgoed::scanning::{gate_devices, record_heartbeats, DeviceReport, Heartbeat};
use voelgoed::scanning::{Direction, GateDevice, ScanAttempt};
use voelgoed::startup::Services;

/// Runs until the process ends. Rates are per second over all live events.
pub async fn run(services: Services, orders_per_second: f64, scans_per_second: f64) {
    let ticks_per_second = 10.0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let (mut sale_credit, mut scan_credit) = (0.0, 0.0);
    let started = std::time::Instant::now();
    for n in 0u64.. {
        tick.tick().await;
        super::anomalies::stage(&services, n).await;
        if n % 50 == 0 {
            let minutes = started.elapsed().as_secs() / 60;
            let bus = services.bus.clone();
            if let Err(e) = with_db(&services.pool, move |conn| {
                Ok(report_devices(conn, bus.as_ref(), minutes)?)
            })
            .await
            {
                tracing::warn!(error = %e, "simulated heartbeats failed");
            }
        }
        sale_credit += orders_per_second / ticks_per_second;
        // Drawn at the peak rate; each scan is kept as the event's curve says (thinning).
        scan_credit += scans_per_second * PEAK_FACTOR / ticks_per_second;
        let (sales, scans) = (sale_credit.floor() as u32, scan_credit.floor() as u32);
        sale_credit -= f64::from(sales);
        scan_credit -= f64::from(scans);
        if sales + scans == 0 {
            continue;
        }
        let bus = services.bus.clone();
        let work = with_db(&services.pool, move |conn| {
            Ok(simulate(conn, bus.get_ref(), sales, scans)?)
        })
        .await;
        match work {
            Ok(gate_scans) => {
                // Scans go through the same writer, counters and feed as the device API.
                for (tenant, device, attempt) in gate_scans {
                    if let Err(e) = services.scan_writer.record_scans(tenant, device, vec![attempt]).await {
                        tracing::warn!(error = %e, "simulated scan failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "simulator step failed"),
        }
    }
}

/// (organisation, event, start) of every event that has started and not ended.
fn events_on_now(conn: &mut DbConnection, now: i64) -> QueryResult<Vec<(i64, i64, i64)>> {
    events::table
        .filter(events::starts_at.le(now))
        .filter(events::ends_at.ge(now))
        .select((events::organization_id, events::id, events::starts_at))
        .load(conn)
}

/// Every device of the events on now reports in, its battery slowly draining; one
/// device per event stays silent, so the monitor shows an offline device too.
fn report_devices(conn: &mut DbConnection, bus: &dyn Bus, minutes: u64) -> QueryResult<()> {
    let now = db::now_ms();
    let live = events_on_now(conn, now)?;
    let mut rng = rand::rng();
    for (org, event_id, _) in live {
        let tenant = Tenant::authenticated(org);
        let devices = gate_devices(conn, &tenant, event_id)?;
        let heartbeats: Vec<Heartbeat> = devices
            .into_iter()
            .enumerate()
            .skip(1)
            .map(|(n, device)| Heartbeat {
                device_id: device.device_id,
                report: DeviceReport {
                    battery: i32::try_from(95 - ((minutes as i64 + n as i64 * 7) % 80)).ok(),
                    pending_uploads: Some(rng.random_range(0..3)),
                    app_version: Some("4.2.0".into()),
                },
            })
            .collect();
        record_heartbeats(conn, bus, &tenant, event_id, &heartbeats, now)?;
    }
    Ok(())
}

/// One step: `sales` orders sold (each publishing its own updates), and `scans` scans
/// prepared for the scan writer, spread over the events on now.
fn simulate(conn: &mut DbConnection, bus: &dyn Bus, sales: u32, scans: u32) -> QueryResult<Vec<GateScan>> {
    let now = db::now_ms();
    let live = events_on_now(conn, now)?;
    let mut gate_scans = Vec::new();
    if live.is_empty() {
        return Ok(gate_scans);
    }
    let mut rng = rand::rng();
    for _ in 0..sales {
        let (org, event_id, _) = live[rng.random_range(0..live.len())];
        walk_up_sale(conn, bus, &Tenant::authenticated(org), event_id, &mut rng)?;
    }
    for _ in 0..scans {
        let (org, event_id, starts_at) = live[rng.random_range(0..live.len())];
        if !rng.random_bool(rate_factor(now - starts_at) / PEAK_FACTOR) {
            continue;
        }
        let tenant = Tenant::authenticated(org);
        let exits = exit_share(now - starts_at);
        if let Some((device, attempt)) = scan(conn, &tenant, event_id, exits, &mut rng)? {
            gate_scans.push((tenant, device, attempt));
        }
    }
    Ok(gate_scans)
}

type GateScan = (Tenant, GateDevice, ScanAttempt);

/// A walk-up buyer buys 1 to 3 tickets of one of the event's types.
fn walk_up_sale(
    conn: &mut DbConnection,
    bus: &dyn Bus,
    tenant: &Tenant,
    event_id: i64,
    rng: &mut impl Rng,
) -> QueryResult<()> {
    let types: Vec<i64> = ticket_types::table
        .filter(ticket_types::organization_id.eq(tenant.organization_id()))
        .filter(ticket_types::event_id.eq(event_id))
        .select(ticket_types::id)
        .load(conn)?;
    if types.is_empty() {
        return Ok(());
    }
    let first = ["Ayla", "Bo", "Cas", "Dewi", "Elif", "Femke", "Gert", "Hana"][rng.random_range(0..8)];
    let order = NewOrder {
        event_id,
        buyer_name: format!("{first} Walk-up"),
        buyer_email: format!(
            "{}.walkup{}@example.test",
            first.to_lowercase(),
            rng.random_range(1..10_000)
        ),
        items: vec![OrderItem {
            ticket_type_id: types[rng.random_range(0..types.len())],
            quantity: rng.random_range(1..=3),
        }],
        created_at: db::now_ms(),
    };
    sell(conn, bus, tenant, &order)?;
    Ok(())
}

/// A ticket holder at a gate: mostly someone not yet inside coming in, `exits` of the
/// time someone inside going out, now and then a ticket shown twice or a bad code.
fn scan(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    exits: f64,
    rng: &mut impl Rng,
) -> QueryResult<Option<(GateDevice, ScanAttempt)>> {
    let devices = gate_devices(conn, tenant, event_id)?;
    if devices.is_empty() {
        return Ok(None);
    }
    // The first device stays silent (see report_devices).
    let device = devices[rng.random_range(devices.len().min(1)..devices.len())];
    let direction = if rng.random_bool(exits) {
        Direction::Out
    } else {
        Direction::In
    };
    // Out: someone inside; in: someone outside, or (a duplicate) someone inside.
    let inside = direction == Direction::Out || rng.random_bool(0.02);
    let holder = holder_at(conn, device.gate_id, direction, inside)?;
    let code = if rng.random_bool(0.02) {
        "NOT-A-TICKET".to_string()
    } else {
        match random_ticket(conn, tenant, event_id, &holder, rng)? {
            Some(code) => code,
            None => return Ok(None),
        }
    };
    let attempt = ScanAttempt {
        device_scan_id: format!("sim-{}", voelgoed::auth::random_token()),
        ticket_code: code,
        direction,
        scanned_at: db::now_ms(),
    };
    Ok(Some((device, attempt)))
}

/// Whom a scan at a gate is for: someone inside or not, in which zone, of which
/// ticket types (none: any).
struct Holder {
    inside: bool,
    zone: Option<i64>,
    types: Vec<i64>,
}

/// At a passage between zones, someone on the side the scan walks from (a VIP ticket
/// for the VIP deck); at a gate from outside, someone inside its zone to leave.
fn holder_at(conn: &mut DbConnection, gate_id: i64, direction: Direction, inside: bool) -> QueryResult<Holder> {
    let (from, to): (Option<i64>, Option<i64>) = gates::table
        .find(gate_id)
        .select((gates::from_zone_id, gates::to_zone_id))
        .first(conn)?;
    let zone = match (from, direction) {
        (Some(from), Direction::In) => Some(from),
        (_, Direction::Out) => to,
        (None, Direction::In) => None,
    };
    let types = match (from, to, direction) {
        (Some(_), Some(to), Direction::In) => zone_ticket_types::table
            .filter(zone_ticket_types::zone_id.eq(to))
            .select(zone_ticket_types::ticket_type_id)
            .load(conn)?,
        _ => Vec::new(),
    };
    Ok(Holder {
        inside: inside || from.is_some(),
        zone,
        types,
    })
}

/// A ticket of the event, inside or not (and where), picked at random through its
/// order ids (cheap on big events).
fn random_ticket(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    holder: &Holder,
    rng: &mut impl Rng,
) -> QueryResult<Option<String>> {
    let org = tenant.organization_id();
    let (low, high): (Option<i64>, Option<i64>) = orders::table
        .filter(orders::organization_id.eq(org))
        .filter(orders::event_id.eq(event_id))
        .select((diesel::dsl::min(orders::id), diesel::dsl::max(orders::id)))
        .first(conn)?;
    let (Some(low), Some(high)) = (low, high) else {
        return Ok(None);
    };
    let mut query = tickets::table
        .filter(tickets::organization_id.eq(org))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::order_id.ge(rng.random_range(low..=high)))
        .into_boxed();
    query = match holder.inside {
        true => query.filter(tickets::inside_since.is_not_null()),
        false => query.filter(tickets::inside_since.is_null()),
    };
    if let Some(zone) = holder.zone {
        query = query.filter(tickets::inside_zone_id.eq(zone));
    }
    if !holder.types.is_empty() {
        query = query.filter(tickets::ticket_type_id.eq_any(&holder.types));
    }
    query
        .order(tickets::order_id)
        .select(tickets::code)
        .first(conn)
        .optional()
}
