//! The kinds of gate alert, as stored (`gate_alerts.kind`).

use diesel::sql_types::Text;
use diesel::{AsExpression, FromSqlRow};

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
    /// Scans a scanner decided offline that the server answered otherwise on upload.
    OfflineConflict,
}

impl AlertKind {
    pub const ALL: [Self; 6] = [
        Self::InvalidSpike,
        Self::CounterfeitBatch,
        Self::TicketPassing,
        Self::DeviceSilent,
        Self::LowBattery,
        Self::OfflineConflict,
    ];

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        match self {
            Self::InvalidSpike => "invalid_spike",
            Self::CounterfeitBatch => "counterfeit_batch",
            Self::TicketPassing => "ticket_passing",
            Self::DeviceSilent => "device_silent",
            Self::LowBattery => "low_battery",
            Self::OfflineConflict => "offline_conflict",
        }
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
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
            Self::OfflineConflict => "Offline conflict",
        }
    }
}

stored_as_text!(AlertKind);
