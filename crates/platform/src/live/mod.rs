//! The live spine: the bus that carries updates (ticket sold, scan recorded …) between
//! the parts of the app (and, scaled out, between instances), the hub that turns them
//! into rendered SSE frames per channel, and the SSE response.

mod bus;
mod frame;
mod hub;
mod kept;
mod live_status;
mod redis_bus;
mod shutdown;
mod sse;
mod stream_counts;
mod ticker;

pub use bus::{Bus, InProcessBus, Update, UpdateKind};
pub use frame::{frame, frame_of_parts, render_with, Frame, Render};
pub use hub::{Hub, UpdateListener, LIVE_STATUS_EVENT};
pub use kept::Kept;
pub use redis_bus::RedisBus;
pub use shutdown::Shutdown;
pub use sse::{channel_frames, sse_response, sse_stream, sse_stream_until};
pub use stream_counts::{StreamCounts, StreamKind};
pub use ticker::Ticker;

use crate::db::Tenant;

/// A named live channel, as in the platform's design:
/// `occupancy:org:{org}:event:{event}` and `scans:org:{org}:event:{event}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Channel(String);

impl Channel {
    /// Tickets sold and people admitted or leaving: gauges, cards, sales chart.
    pub fn occupancy(tenant: &Tenant, event_id: i64) -> Self {
        Self(format!("occupancy:org:{}:event:{event_id}", tenant.organization_id()))
    }

    /// Every scan: scan log, gate counters, device status.
    pub fn scans(tenant: &Tenant, event_id: i64) -> Self {
        Self(format!("scans:org:{}:event:{event_id}", tenant.organization_id()))
    }

    /// An event's gate alerts: opened, acknowledged, closed (`UpdateKind::AlertChanged`).
    /// The scan monitor, the event's kiosks and the overview follow it.
    pub fn alerts(tenant: &Tenant, event_id: i64) -> Self {
        Self(format!("alerts:org:{}:event:{event_id}", tenant.organization_id()))
    }

    /// A user's sessions: carries their sign-outs to the user's open streams.
    pub fn sessions(tenant: &Tenant, user_id: i64) -> Self {
        Self(format!("sessions:org:{}:user:{user_id}", tenant.organization_id()))
    }

    /// Orders of an organisation placed or changed: the live order list.
    pub fn orders(tenant: &Tenant) -> Self {
        Self(format!("orders:org:{}", tenant.organization_id()))
    }

    /// A feature's own channel for one thing of an organisation:
    /// `{family}:org:{org}:{thing}:{id}` (the kiosk's links, the bulk jobs).
    pub fn of_thing(tenant: &Tenant, family: &str, thing: &str, id: i64) -> Self {
        Self(format!("{family}:org:{}:{thing}:{id}", tenant.organization_id()))
    }

    pub fn name(&self) -> &str {
        &self.0
    }
}
