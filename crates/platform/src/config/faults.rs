//! Deliberate faults, for the tests that show the console copes with them; the command
//! line never sets them.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Deliberate faults in the scan writer, for the tests of its supervision only; the
/// command line never sets them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriterFaults {
    /// Deciding a batch that holds this ticket code panics.
    pub panic_on_ticket_code: Option<String>,
    /// Syncs of the scans' log that fail (SQLite at synchronous FULL).
    pub failing_log_syncs: FailingSyncs,
}

/// How many of the next syncs of the scans' log fail; shared, so a test arms them while
/// the server runs.
#[derive(Clone, Debug, Default)]
pub struct FailingSyncs(Arc<AtomicU32>);

impl FailingSyncs {
    /// The next `syncs` syncs fail.
    pub fn arm(&self, syncs: u32) {
        self.0.store(syncs, Ordering::SeqCst);
    }

    /// Whether this sync is to fail (one armed failure spent).
    pub fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1))
            .is_ok()
    }
}

/// The same faults when they are the same handle.
impl PartialEq for FailingSyncs {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for FailingSyncs {}

/// The panels of the dashboard and the scan monitor that load apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PanelName {
    /// The dashboard's metrics: occupancy, sales, revenue, velocity, chart, alerts.
    Metrics,
    /// The arrivals chart, rates and forecast (dashboard and monitor).
    Arrivals,
    /// The monitor's counters, gates and devices.
    Gates,
    /// The monitor's scan log.
    ScanLog,
    /// The monitor's gate alerts.
    GateAlerts,
}

impl PanelName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Metrics => "metrics",
            Self::Arrivals => "arrivals",
            Self::Gates => "gates",
            Self::ScanLog => "scan log",
            Self::GateAlerts => "gate alerts",
        }
    }
}

/// Panels a test makes slow (see `panels`), to show that a page answers without them (the tests of
/// the pages' fault tolerance only; the command line never sets them). Shared, so a
/// test can let a panel recover while the server runs.
#[derive(Clone, Debug, Default)]
pub struct PanelFaults(Arc<Mutex<HashSet<PanelName>>>);

impl PanelFaults {
    /// From now on, loading `panel` takes longer than any budget (or no longer does).
    pub fn set_slow(&self, panel: PanelName, slow: bool) {
        let mut slow_panels = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match slow {
            true => slow_panels.insert(panel),
            false => slow_panels.remove(&panel),
        };
    }

    pub fn is_slow(&self, panel: PanelName) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).contains(&panel)
    }
}
