//! The monitor's counters panel: the entry policy, gates and devices from the database, counts from the
//! live counters; loaded for the first page and redrawn once per coalesced update.

use std::sync::Arc;

use super::panel_views::{scan_panel_parts, Panel};
use super::views;
use crate::db::{self, Pool, Tenant};
use crate::error::with_db;
use crate::error::AppError;
use crate::events::{self, EntryPolicy, Event};
use crate::live::{frame_of_parts, render_with, Render};
use crate::panels::{PanelName, Panels};
use crate::scanning::LogFilter;
use crate::scanning::{self, DeviceRow, Gate, ScanLine};
use crate::scanning::{EventCounts, ScanCounters};
use crate::zones::{board_of, EventZones, ZoneBoard, ZoneDirectory};

/// What the counters panel shows, loaded.
pub struct PanelData {
    pub policy: EntryPolicy,
    gates: Vec<Gate>,
    devices: Vec<DeviceRow>,
    counts: EventCounts,
    zones: ZoneBoard,
    /// The event's zones as kept by the directory (each gate's passage in words).
    of_event: Arc<EventZones>,
    now: i64,
}

impl PanelData {
    pub async fn load(
        pool: &Pool,
        counters: &dyn ScanCounters,
        zones: &ZoneDirectory,
        tenant: Tenant,
        event_id: i64,
    ) -> Result<Self, AppError> {
        let now = db::now_ms();
        let counts = counters.event_counts(&tenant, event_id, now).await?;
        let (policy, gates, devices) = with_db(pool, move |conn| {
            Ok((
                events::entry_policy(conn, &tenant, event_id)?,
                scanning::event_gates(conn, &tenant, event_id)?,
                scanning::event_devices(conn, &tenant, event_id)?,
            ))
        })
        .await?;
        let of_event = zones.zones(tenant, event_id).await?;
        let zones = board_of(&of_event, &counts.zones, counts.occupancy);
        Ok(Self {
            policy,
            gates,
            devices,
            counts,
            zones,
            of_event,
            now,
        })
    }

    pub fn panel<'a>(&'a self, event: &'a Event) -> Panel<'a> {
        Panel {
            event,
            policy: self.policy,
            counts: &self.counts,
            gates: &self.gates,
            devices: &self.devices,
            zones: &self.zones,
            passages: &self.of_event.passages,
            now: self.now,
        }
    }
}

/// The newest rows of the log that pass the filter: the first page's.
pub async fn load_log(
    pool: &Pool,
    tenant: Tenant,
    event_id: i64,
    filter: LogFilter,
) -> Result<Vec<ScanLine>, AppError> {
    with_db(pool, move |conn| {
        Ok(scanning::latest_scans(
            conn,
            &tenant,
            event_id,
            &filter,
            views::LOG_ROWS,
        )?)
    })
    .await
}

/// Counters, gates and devices of one event: rendered once per coalesced update (as
/// "unavailable" while they cannot be read).
pub fn render_panel(
    pool: &Pool,
    (counters, zones): (Arc<dyn ScanCounters>, Arc<ZoneDirectory>),
    panels: &Panels,
    tenant: Tenant,
    event: Event,
) -> Render {
    let context = (pool.clone(), (counters, zones), panels.clone(), Arc::new(event));
    render_with(context, move |(pool, (counters, zones), panels, event)| async move {
        let data = panels
            .load(
                PanelName::Gates,
                PanelData::load(&pool, counters.as_ref(), &zones, tenant, event.id),
            )
            .await;
        let parts = scan_panel_parts(data.ready().map(|data| data.panel(&event)).as_ref());
        Ok(frame_of_parts(
            views::PANEL_SSE_EVENT,
            parts.into_iter().map(Into::into).collect(),
        ))
    })
}
