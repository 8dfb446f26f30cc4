//! The demo's scan history: a past event's whole evening at its gates (doors open an
//! hour before the start, a peak, a tail, a few exits and re-entries, some leaving at
//! the end, duplicates and unknown codes, a small share of no-shows), and the arrival
//! times of the crowd already inside the live event. Written in large batched inserts,
//! oldest scan first, so the scan log's order is the evening's.

use diesel::prelude::*;
use rand::Rng;

use super::arrival_curve::{arrival_after_doors, DOORS_BEFORE_START, MINUTE};
use voelgoed::db::schema::{scans, tickets};
use voelgoed::db::{self, DbConnection, Tenant};
use voelgoed::orders::TicketStatus;
use voelgoed::with_backend;

/// Valid tickets that never came.
const NO_SHOW: f64 = 0.07;
/// Of those let in: shown again while inside, stepped out (and of those, came back),
/// and scanned out at the end.
const DUPLICATE: f64 = 0.03;
const STEP_OUT: f64 = 0.08;
const COME_BACK: f64 = 0.75;
const LEAVE_SCANNED: f64 = 0.25;
/// Unknown codes, per valid ticket.
const UNKNOWN: f64 = 0.01;

/// One scan of the history.
struct Scan {
    at: i64,
    ticket: Option<(i64, String)>,
    device: usize,
    direction: &'static str,
    result: &'static str,
    reason: Option<String>,
}

/// Writes the whole scan history of an event that has ended; returns the scans written.
pub fn seed_past_event(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> anyhow::Result<usize> {
    let event = voelgoed::events::queries::find_event(conn, tenant, event_id)?;
    let devices = voelgoed::scanning::gate_devices(conn, tenant, event_id)?;
    let gates = voelgoed::scanning::event_gates(conn, tenant, event_id)?;
    if devices.is_empty() {
        return Ok(0);
    }
    let holders: Vec<(i64, String)> = tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::status.eq(TicketStatus::Valid))
        .order(tickets::id)
        .select((tickets::id, tickets::code))
        .load(conn)?;
    let doors = event.starts_at - DOORS_BEFORE_START;
    let mut rng = rand::rng();
    let mut history = Vec::new();
    let gate_of = |device: usize| {
        let gate_id = devices[device].gate_id;
        gates.iter().find(|g| g.id == gate_id).map_or("", |g| g.name.as_str())
    };
    for holder in holders {
        if rng.random_bool(NO_SHOW) {
            continue;
        }
        let device = rng.random_range(0..devices.len());
        let arrived = (doors + arrival_after_doors(&mut rng)).min(event.ends_at - 30 * MINUTE);
        let scan = |at, direction, result, reason| Scan {
            at,
            ticket: Some(holder.clone()),
            device,
            direction,
            result,
            reason,
        };
        history.push(scan(arrived, "in", "valid", None));
        if rng.random_bool(DUPLICATE) {
            let reason = format!(
                "already inside: admitted at {}, {}",
                gate_of(device),
                db::format_utc(arrived)
            );
            history.push(scan(
                arrived + rng.random_range(20_000..180_000),
                "in",
                "duplicate",
                Some(reason),
            ));
        }
        let mut last_in = arrived;
        if rng.random_bool(STEP_OUT) {
            let out = arrived + rng.random_range(30..180) * MINUTE;
            if out < event.ends_at - 20 * MINUTE {
                history.push(scan(out, "out", "valid", None));
                if !rng.random_bool(COME_BACK) {
                    continue;
                }
                last_in = out + rng.random_range(5..40) * MINUTE;
                history.push(scan(last_in, "in", "valid", None));
            }
        }
        if rng.random_bool(LEAVE_SCANNED) {
            let leave = (event.ends_at - rng.random_range(0..45) * MINUTE).max(last_in + 10 * MINUTE);
            history.push(scan(leave, "out", "valid", None));
        }
    }
    let unknown = (history.len() as f64 * UNKNOWN).ceil() as usize;
    for _ in 0..unknown {
        history.push(Scan {
            at: doors + arrival_after_doors(&mut rng),
            ticket: None,
            device: rng.random_range(0..devices.len()),
            direction: "in",
            result: "invalid",
            reason: Some("unknown ticket code".into()),
        });
    }
    history.sort_by_key(|s| s.at);
    write(conn, tenant, event_id, &devices, &history)?;
    Ok(history.len())
}

/// When each of `n` people already inside the live event came in: along the arrival
/// curve from doors open, none later than a minute ago; oldest first.
pub fn arrival_times(starts_at: i64, now: i64, n: usize) -> Vec<i64> {
    let (doors, mut rng) = (starts_at - DOORS_BEFORE_START, rand::rng());
    let latest = now - MINUTE;
    let mut times: Vec<i64> = (0..n)
        .map(|_| {
            let at = doors + arrival_after_doors(&mut rng);
            // Doors opened less than the curve's length ago: late arrivals are squeezed in.
            if at <= latest {
                at
            } else {
                latest - rng.random_range(0..(latest - doors).clamp(1, 20 * MINUTE))
            }
        })
        .collect();
    times.sort_unstable();
    times
}

fn write(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    devices: &[voelgoed::scanning::GateDevice],
    history: &[Scan],
) -> anyhow::Result<()> {
    let rows: Vec<_> = history
        .iter()
        .enumerate()
        .map(|(n, scan)| {
            let device = devices[scan.device];
            let (ticket_id, code) = match &scan.ticket {
                Some((id, code)) => (Some(*id), code.clone()),
                None => (None, format!("VG-FORGED-{n:05}")),
            };
            (
                scans::organization_id.eq(tenant.organization_id()),
                scans::event_id.eq(event_id),
                scans::device_scan_id.eq(format!("history-{event_id}-{n}")),
                scans::ticket_code.eq(code),
                scans::ticket_id.eq(ticket_id),
                scans::gate_id.eq(device.gate_id),
                scans::device_id.eq(device.device_id),
                scans::direction.eq(scan.direction),
                scans::scanned_at.eq(scan.at),
                scans::received_at.eq(scan.at),
                scans::result.eq(scan.result),
                scans::reason.eq(scan.reason.clone()),
            )
        })
        .collect();
    db::write_transaction(conn, |conn| {
        for chunk in rows.chunks(2_000) {
            with_backend!(&mut *conn, |c| diesel::insert_into(scans::table)
                .values(chunk)
                .execute(c))?;
        }
        Ok(())
    })?;
    Ok(())
}
