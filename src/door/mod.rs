//! The door lookup (`GET /events/{id}/door?code=…`): one ticket of the event found by
//! its code, with its type, status, holder's name and scan history, so a problem at the
//! gate can be solved. One ticket at a time, never a list, no e-mail address or money;
//! limited per user (`DoorLookups`) so it cannot be used to try codes.

mod handlers;
mod queries;
mod views;

pub use handlers::door_lookup;
pub use queries::normalise_code;

use crate::quota::Rate;

/// Lookups a user may make per minute: plenty for a door, useless for guessing codes
/// of 100 bits.
pub const LOOKUPS_PER_MINUTE: usize = 30;

/// Each user's recent lookups (a `web::Data` of its own; per instance).
#[derive(Clone)]
pub struct DoorLookups(Rate<i64>);

impl Default for DoorLookups {
    fn default() -> Self {
        Self::new(LOOKUPS_PER_MINUTE)
    }
}

impl DoorLookups {
    pub fn new(per_minute: usize) -> Self {
        Self(Rate::new(per_minute, std::time::Duration::from_secs(60)))
    }

    /// Counts a lookup of `user_id`: false when they had their share this minute.
    pub fn allow(&self, user_id: i64) -> bool {
        self.0.allow(user_id)
    }

    pub fn per_minute(&self) -> usize {
        self.0.limit()
    }
}
