//! Deliberate faults, for the tests that show the console copes with them; the command
//! line never sets them.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

/// Deliberate faults in the scan writer, for the tests of its supervision only; the
/// command line never sets them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriterFaults {
    /// Deciding a batch that holds this ticket code panics.
    pub panic_on_ticket_code: Option<String>,
}

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
