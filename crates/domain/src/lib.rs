//! The domain's words, at the bottom of the crate: the ids of its things and every
//! status and kind as stored, each spelled once. Every feature takes them from here
//! (through its own model's re-export or directly); none spells a stored value itself.
//! Its own crate, depending on nothing of the console: the plumbing and every feature
//! may use it, and nothing above can leak into it (the compiler sees to that).

mod bulk_jobs;
mod deliveries;
mod events;
mod gate_alerts;
mod ids;
mod orders;
mod scans;
mod stored_text;
mod zones;

pub use bulk_jobs::{BulkAction, Outcome};
pub use deliveries::DeliveryStatus;
pub use events::{EntryPolicy, TimeZone};
pub use gate_alerts::AlertKind;
pub use ids::{
    AlertId, BulkJobId, DeviceId, EventId, GateId, KioskLinkId, OrderId, OrganizationId, TicketId, UserId, WebhookId,
    ZoneId,
};
pub use orders::{OrderStatus, RefundReason, TicketStatus};
pub use scans::{Direction, ScanResult};
pub use zones::{WhenFull, ZoneMismatch};
