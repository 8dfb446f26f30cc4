//! Staged gate anomalies for the demo: every few minutes, one at a time, each kind the
//! alert detector knows is acted out at every live event through the same paths real
//! devices use (the scan writer and the heartbeat recorder), so a visitor sees alerts
//! open on the scan monitor and the kiosks, and close again.

use diesel::prelude::*;
use rand::Rng;

use voelgoed::db::schema::{events, tickets};
use voelgoed::db::{self, DbConnection, Tenant};
use voelgoed::error::with_db;
use voelgoed::live::Bus;
use voelgoed::scanning::{
    gate_devices, record_heartbeats, DeviceReport, Direction, GateDevice, Heartbeat, ScanAttempt,
};
use voelgoed::startup::Services;

/// The simulator ticks ten times a second.
const TICKS_PER_SECOND: u64 = 10;
/// Each kind has a stage of this long; five kinds, one after the other.
const STAGE_TICKS: u64 = 3 * 60 * TICKS_PER_SECOND;
/// The first stage begins this soon after start, so a first visit sees one.
const FIRST_STAGE_TICK: u64 = 20 * TICKS_PER_SECOND;
/// A silenced device stays quiet this long (the detector wants 3 minutes).
const SILENCE_TICKS: u64 = 4 * 60 * TICKS_PER_SECOND;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Counterfeit,
    Spike,
    Passing,
    Silence,
    LowBattery,
}

const STAGES: [Stage; 5] = [
    Stage::Counterfeit,
    Stage::Passing,
    Stage::LowBattery,
    Stage::Spike,
    Stage::Silence,
];

/// Called by the simulator on every tick `n`; acts at most once a second.
pub async fn stage(services: &Services, n: u64) {
    if n < FIRST_STAGE_TICK || !n.is_multiple_of(TICKS_PER_SECOND) {
        return;
    }
    let since = n - FIRST_STAGE_TICK;
    let (stage, into) = (STAGES[((since / STAGE_TICKS) % 5) as usize], since % STAGE_TICKS);
    let silenced = silenced(since);
    let bus = services.bus.clone();
    let planned = with_db(&services.pool, move |conn| {
        Ok(plan(conn, bus.as_ref(), stage, into, silenced)?)
    })
    .await;
    match planned {
        Ok(batches) => {
            for (tenant, device, scans) in batches {
                if let Err(e) = services.scan_writer.record_scans(tenant, device, scans).await {
                    tracing::warn!(error = %e, "staged anomaly scans failed");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "staging an anomaly failed"),
    }
}

/// Whether the first device of each event is in its silence now (which starts with
/// its stage and outlasts it, so the detector sees it gone for 3 minutes).
fn silenced(since: u64) -> bool {
    let cycle = STAGE_TICKS * 5;
    let start = STAGE_TICKS * STAGES.iter().position(|s| *s == Stage::Silence).unwrap_or(0) as u64;
    let into_cycle = since % cycle;
    let after = (into_cycle + cycle - start) % cycle;
    after < SILENCE_TICKS
}

type Batch = (Tenant, GateDevice, Vec<ScanAttempt>);

/// This second's part of the stage at every live event: heartbeats recorded here,
/// scans returned for the scan writer.
fn plan(conn: &mut DbConnection, bus: &dyn Bus, stage: Stage, into: u64, silenced: bool) -> QueryResult<Vec<Batch>> {
    let now = db::now_ms();
    let live: Vec<(i64, i64)> = events::table
        .filter(events::starts_at.le(now))
        .filter(events::ends_at.ge(now))
        .select((events::organization_id, events::id))
        .load(conn)?;
    let mut batches = Vec::new();
    let mut rng = rand::rng();
    for (org, event_id) in live {
        let tenant = Tenant::authenticated(org);
        let devices = gate_devices(conn, &tenant, event_id)?;
        let [first, second, ..] = devices[..] else { continue };
        let mut heartbeats = Vec::new();
        // The first device is heard from every 5 s, except while it is silenced.
        if !silenced && into.is_multiple_of(5 * TICKS_PER_SECOND) {
            heartbeats.push(report(first.device_id, 80));
        }
        let at_start = into == 0;
        let scans = match stage {
            Stage::Counterfeit if at_start => forged(&mut rng, 5, true),
            Stage::Spike if at_start => forged(&mut rng, 40, false),
            // One admitted ticket presented again four times, ten seconds apart.
            Stage::Passing if into.is_multiple_of(10 * TICKS_PER_SECOND) && into < 40 * TICKS_PER_SECOND => {
                inside_ticket(conn, &tenant, event_id)?.map_or_else(Vec::new, |code| vec![attempt(code)])
            }
            // A draining battery, reported every second for two minutes.
            Stage::LowBattery if into < 120 * TICKS_PER_SECOND => {
                heartbeats.push(report(second.device_id, 9));
                Vec::new()
            }
            _ => Vec::new(),
        };
        if !heartbeats.is_empty() {
            record_heartbeats(conn, bus, &tenant, event_id, &heartbeats, now)?;
        }
        if !scans.is_empty() {
            batches.push((tenant, second, scans));
        }
    }
    Ok(batches)
}

fn report(device_id: i64, battery: i32) -> Heartbeat {
    Heartbeat {
        device_id,
        report: DeviceReport {
            battery: Some(battery),
            pending_uploads: Some(0),
            app_version: Some("4.2.0".into()),
        },
    }
}

/// Unknown codes: `n` sharing one 6-character prefix (a counterfeit batch), or not.
fn forged(rng: &mut impl Rng, n: usize, one_prefix: bool) -> Vec<ScanAttempt> {
    let prefix = format!("FK{:04}", rng.random_range(0..10_000));
    (0..n)
        .map(|i| {
            let tail = voelgoed::auth::random_token();
            attempt(if one_prefix {
                format!("{prefix}{i:02}{}", &tail[..8])
            } else {
                format!("{i:02}{}", &tail[..12])
            })
        })
        .collect()
}

fn attempt(ticket_code: String) -> ScanAttempt {
    ScanAttempt {
        device_scan_id: format!("staged-{}", voelgoed::auth::random_token()),
        ticket_code,
        direction: Direction::In,
        scanned_at: db::now_ms(),
    }
}

/// The code of a ticket whose holder is inside (the oldest admitted one).
fn inside_ticket(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Option<String>> {
    tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::inside_since.is_not_null())
        .order(tickets::inside_since)
        .select(tickets::code)
        .first(conn)
        .optional()
}
