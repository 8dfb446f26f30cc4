//! What a pool tells `/metrics` as it works: how long each caller waited for a
//! connection, and who gave up waiting (r2d2's event hooks, per pool).

use diesel::r2d2::{event, HandleEvent};

pub(super) struct PoolEvents {
    wait: metrics::Histogram,
    timeouts: metrics::Counter,
}

impl PoolEvents {
    /// The events of the pool named `pool` (`pages`, `gates`, `exports`).
    pub(super) fn named(pool: &'static str) -> Self {
        Self {
            wait: metrics::histogram!("voelgoed_db_pool_wait_seconds", "pool" => pool),
            timeouts: metrics::counter!("voelgoed_db_pool_timeouts_total", "pool" => pool),
        }
    }
}

impl std::fmt::Debug for PoolEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolEvents")
    }
}

impl HandleEvent for PoolEvents {
    fn handle_checkout(&self, checkout: event::CheckoutEvent) {
        self.wait.record(checkout.duration().as_secs_f64());
    }

    fn handle_timeout(&self, _: event::TimeoutEvent) {
        self.timeouts.increment(1);
    }
}
