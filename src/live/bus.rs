//! The event bus: who publishes what happened, and everyone interested hears it.

use tokio::sync::broadcast;

use super::Channel;

/// What happened, in the domain's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateKind {
    TicketSold,
    OrderChanged,
    ScanOccurred,
    DeviceReported,
    KioskRevoked,
    /// A user's session (or all of them) was signed out: their open streams check theirs.
    SessionEnded,
}

#[derive(Clone, Debug)]
pub struct Update {
    pub channel: Channel,
    pub kind: UpdateKind,
}

/// Carries updates to every subscriber in this process (and, for a shared bus, to the
/// other instances' subscribers too).
pub trait Bus: Send + Sync {
    fn publish(&self, update: Update);
    fn subscribe(&self) -> broadcast::Receiver<Update>;
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
