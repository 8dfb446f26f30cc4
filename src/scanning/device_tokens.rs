//! Device tokens recently proven, kept for a few seconds so a scanner posting many
//! requests a second costs one token lookup per period, not one per request. A token
//! revoked in the database stops working within `TTL`; unknown tokens are never kept.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::decision::GateDevice;
use crate::db::Tenant;

const TTL: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct DeviceTokens {
    /// Token hash → the device it proves, and when that was read from the database.
    proven: Mutex<HashMap<String, (Tenant, GateDevice, Instant)>>,
}

impl DeviceTokens {
    pub fn get(&self, token_hash: &str) -> Option<(Tenant, GateDevice)> {
        let proven = self.proven.lock().unwrap_or_else(PoisonError::into_inner);
        proven
            .get(token_hash)
            .filter(|(_, _, at)| at.elapsed() < TTL)
            .map(|(tenant, device, _)| (*tenant, *device))
    }

    pub fn remember(&self, token_hash: String, tenant: Tenant, device: GateDevice) {
        let mut proven = self.proven.lock().unwrap_or_else(PoisonError::into_inner);
        // Entries of devices that went quiet are dropped whenever the map is written.
        proven.retain(|_, (_, _, at)| at.elapsed() < TTL);
        proven.insert(token_hash, (tenant, device, Instant::now()));
    }
}
