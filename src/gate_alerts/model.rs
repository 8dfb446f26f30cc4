//! Gate alerts as the domain sees them: the five kinds (stored by name), an open alert
//! as the monitor, the kiosk and the overview show it, and what the detector found.

use diesel::sql_types::Text;
use diesel::{AsExpression, FromSqlRow, Queryable};

use crate::stored_as_text;

/// What went wrong at a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum AlertKind {
    /// Unknown codes at one gate well above that gate's own baseline.
    InvalidSpike,
    /// A burst of unknown codes sharing one prefix: a batch of forged tickets.
    CounterfeitBatch,
    /// One admitted ticket presented again and again while its holder is inside.
    TicketPassing,
    /// A device stopped reporting while others at its gate are busy.
    DeviceSilent,
    /// A device reported a battery under the threshold.
    LowBattery,
}

impl AlertKind {
    pub const ALL: [Self; 5] = [
        Self::InvalidSpike,
        Self::CounterfeitBatch,
        Self::TicketPassing,
        Self::DeviceSilent,
        Self::LowBattery,
    ];

    pub fn as_stored(&self) -> &'static str {
        match self {
            Self::InvalidSpike => "invalid_spike",
            Self::CounterfeitBatch => "counterfeit_batch",
            Self::TicketPassing => "ticket_passing",
            Self::DeviceSilent => "device_silent",
            Self::LowBattery => "low_battery",
        }
    }

    fn from_stored(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_stored() == raw)
            .ok_or_else(|| format!("unknown alert kind {raw:?}"))
    }

    /// The kind in words, as screens show it.
    pub fn title(&self) -> &'static str {
        match self {
            Self::InvalidSpike => "Invalid-scan spike",
            Self::CounterfeitBatch => "Counterfeit batch",
            Self::TicketPassing => "Ticket passing",
            Self::DeviceSilent => "Device silent",
            Self::LowBattery => "Low battery",
        }
    }
}

stored_as_text!(AlertKind);

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
