//! Leases on rows that several instances may want to work on at once (an outbox
//! message, a bulk job): a worker claims a row by moving its lease column from the value
//! it read to a time ahead, in one conditional UPDATE; only the holder of the lease (the
//! one whose value is still there) writes what came of the work, and a lease that runs
//! out (its holder stopped) lets another worker claim the row again.

use std::time::Duration;

/// When a lease taken at `now` for `lease` runs out (ms since the epoch).
pub fn lease_end(now: i64, lease: Duration) -> i64 {
    now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2))
}

/// Whether a conditional UPDATE that moved a lease (`changed` rows) won it: exactly
/// one row, the one whose lease still held the value read.
pub fn won(changed: usize) -> bool {
    changed == 1
}
