//! Gate alerts as the domain sees them: the five kinds (stored by name), an open alert
//! as the monitor, the kiosk and the overview show it, and what the detector found.

use diesel::Queryable;

pub use crate::domain::AlertKind;

/// An alert that is open now (its condition holds, or cleared only moments ago).
#[derive(Queryable, Clone, Debug, PartialEq, Eq)]
pub struct OpenAlert {
    pub id: i64,
    pub event_id: i64,
    pub gate_id: i64,
    pub gate: String,
    pub device_id: Option<i64>,
    pub kind: AlertKind,
    pub started_at: i64,
    pub last_seen_at: i64,
    /// The condition in words ("14 unknown codes in 2 min, baseline 1").
    pub detail: String,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<i64>,
}

impl OpenAlert {
    pub fn is_acknowledged(&self) -> bool {
        self.acknowledged_at.is_some()
    }
}

/// A condition the detector found holding now at one gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: AlertKind,
    pub gate_id: i64,
    pub device_id: Option<i64>,
    /// What within kind and gate it is about ("", "device:7", "ticket:42", "prefix:FAKE01").
    pub subject: String,
    pub detail: String,
}
