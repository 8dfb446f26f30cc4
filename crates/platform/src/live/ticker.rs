//! The background workers' clock: a round every `every` until the server stops. A round
//! that runs late delays the next one rather than bunching them; the first comes at once.

use std::time::Duration;

use tokio::time::{interval, Interval, MissedTickBehavior};

use super::Shutdown;

pub struct Ticker {
    ticks: Interval,
    shutdown: Option<Shutdown>,
}

impl Ticker {
    /// Rounds every `every`, ending when `shutdown` begins (never, without one).
    pub fn new(every: Duration, shutdown: Option<Shutdown>) -> Self {
        let mut ticks = interval(every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self { ticks, shutdown }
    }

    /// Waits for the next round: false once shutdown has begun.
    pub async fn next_round(&mut self) -> bool {
        let Some(shutdown) = &self.shutdown else {
            self.ticks.tick().await;
            return true;
        };
        if shutdown.has_begun() {
            return false;
        }
        tokio::select! {
            _ = self.ticks.tick() => true,
            _ = shutdown.begun() => false,
        }
    }
}
