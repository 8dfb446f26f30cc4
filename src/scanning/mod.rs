//! Gate scans: the device API (`api/`), the admission rules (`admission/`), setting
//! an event's entry policy (`entry_policy.rs`), the group-commit writer and what it
//! publishes (`writer/`, `publish.rs`), the live counters (`counters/`), the scan-log
//! feed (`feed/`), the scan monitor (`monitor/`), the arrivals both the monitor and the
//! dashboard show (`arrivals/`), the door lookup of one ticket (`door/`) and the gate
//! anomaly alerts (`alerts/`). Other features and the assembly use only what is
//! re-exported here.

mod admission;
pub mod alerts;
pub mod api;
pub mod arrivals;
mod counters;
mod devices;
pub mod door;
mod entry_policy;
mod feed;
pub mod model;
pub mod monitor;
mod publish;
mod queries;
mod writer;

/// The admission decision as the scan writer runs it (one device's batch, inside its
/// transaction), for the query-plan guard.
pub use admission::record_batch;
/// Gate alerts: what is open per event (`open_alerts`), for the monitor, kiosks and the
/// overview; changes arrive as `UpdateKind::AlertChanged` on `Channel::alerts`.
pub use alerts::{
    acknowledge_alert, alert_list, evaluate_all, kiosk_alert_frames, kiosk_alerts, load_alerts, monitor_alert_frames,
    open_alerts, replace_open_alerts, start_detector, Acknowledgement, AlertKind, AlertScope, AlertsView, Finding,
    OpenAlert, CLEAR_AFTER_MS, KIOSK_ALERTS_SSE_EVENT,
};
pub use api::device_tokens::{DeviceTokens, KnownDevices, PROVEN_FOR, RECHECK_AFTER};
pub use arrivals::{
    arrivals_fragments, arrivals_frames, arrivals_section, Arrivals, ArrivalsCache, Pushed as ArrivalsPushed,
    Shown as ArrivalsShown, ARRIVALS_SSE_EVENT,
};
pub use counters::{occupancy, recount, EventCounts, InProcessCounters, Occupancy, RedisCounters, ScanCounters, Tally};
pub use devices::{record_heartbeats, Heartbeat};
pub use entry_policy::{change_entry_policy, entry_policy_command, ChangedBy};
pub use feed::ScanFeed;
pub use model::{Direction, GateDevice, RecordedScan, ScanAttempt, ScanResult};
pub use publish::Publisher;
pub use queries::{event_gates, gate_devices, newest_scan_id, DeviceReport, Gate};
pub use writer::{NotRecorded, ScanWriter};

/// The device API's own connections (token lookups, heartbeats): never shared with the
/// pages, so a page, an export or a sign-in cannot exhaust what the gates need.
#[derive(Clone)]
pub struct GatePool(pub crate::db::Pool);

impl std::ops::Deref for GatePool {
    type Target = crate::db::Pool;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
