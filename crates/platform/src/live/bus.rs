//! The event bus: who publishes what happened, and everyone interested hears it.

use tokio::sync::{broadcast, watch};

use super::Channel;
use crate::redis_link::LinkStatus;

/// What happened, in the domain's words. Serialised as is between instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UpdateKind {
    TicketSold,
    OrderChanged,
    ScanOccurred,
    DeviceReported,
    KioskRevoked,
    /// A user's session (or all of them) was signed out, or their role or events
    /// changed: their open streams check theirs.
    #[serde(alias = "SessionEnded")]
    SessionChanged,
    /// A bulk job processed some of its orders (or finished).
    BulkJobProgressed,
    /// An event's settings changed (its entry policy): the pages showing them redraw.
    EventChanged,
    /// A gate alert of an event opened, was acknowledged or closed (on `Channel::alerts`).
    AlertChanged,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Update {
    pub channel: Channel,
    pub kind: UpdateKind,
}

/// Carries updates to every subscriber in this process (and, for a shared bus, to the
/// other instances' subscribers too).
pub trait Bus: Send + Sync {
    fn publish(&self, update: Update);
    fn subscribe(&self) -> broadcast::Receiver<Update>;
    /// Bumped whenever updates may have been lost where `subscribe` cannot say so (a
    /// shared bus that reconnected): subscribers must assume everything changed.
    fn resyncs(&self) -> watch::Receiver<u64> {
        watch::channel(0).1
    }
    /// Something this instance should have shared was lost (a scan-log row Redis did
    /// not take): the other instances are told to resync once the link carries again.
    fn owe_resync(&self) {}
    /// Whether updates from other instances arrive; None for a bus of one process.
    fn link_status(&self) -> Option<watch::Receiver<LinkStatus>> {
        None
    }
}

/// The embedded deployment's bus: a tokio broadcast channel. A subscriber that falls
/// more than its capacity behind is told it lagged and must assume everything changed.
pub struct InProcessBus {
    sender: broadcast::Sender<Update>,
}

impl InProcessBus {
    const CAPACITY: usize = 4096;

    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(Self::CAPACITY).0,
        }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus for InProcessBus {
    fn publish(&self, update: Update) {
        // No subscriber is not an error: nobody is watching that event right now.
        let _ = self.sender.send(update);
    }

    fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.sender.subscribe()
    }
}
