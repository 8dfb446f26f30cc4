//! Device tokens recently proven, kept for a few seconds so a scanner posting many
//! requests a second costs one token lookup per period, not one per request. A token
//! revoked in the database stops working within `PROVEN_FOR`. Unknown tokens are kept
//! as refused for a short while too, so a device (or an attacker) repeating a wrong
//! token costs no database lookup per request; a map that fills up is cleared rather
//! than grown.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::db::Tenant;
use crate::scanning::model::GateDevice;

/// How long a proven token is believed without asking the database again.
pub const PROVEN_FOR: Duration = Duration::from_secs(2);
/// How long an unknown token is refused without asking the database again.
pub const REFUSED_FOR: Duration = Duration::from_secs(10);
/// Most refused tokens remembered at once.
const MAX_REFUSED: usize = 10_000;

/// What the cache knows of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    Proven(Tenant, GateDevice),
    Refused,
}

#[derive(Default)]
pub struct DeviceTokens {
    /// Token hash → what it proved, and when that was read from the database.
    known: Mutex<HashMap<String, (Proof, Instant)>>,
}

impl DeviceTokens {
    pub fn get(&self, token_hash: &str) -> Option<Proof> {
        let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known
            .get(token_hash)
            .filter(|(proof, at)| at.elapsed() < lifetime(proof))
            .map(|(proof, _)| *proof)
    }

    pub fn remember(&self, token_hash: String, tenant: Tenant, device: GateDevice) {
        self.insert(token_hash, Proof::Proven(tenant, device));
    }

    pub fn refuse(&self, token_hash: String) {
        self.insert(token_hash, Proof::Refused);
    }

    fn insert(&self, token_hash: String, proof: Proof) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        // Entries of devices that went quiet are dropped whenever the map is written.
        known.retain(|_, (proof, at)| at.elapsed() < lifetime(proof));
        if known.len() >= MAX_REFUSED {
            known.retain(|_, (proof, _)| matches!(proof, Proof::Proven(..)));
        }
        known.insert(token_hash, (proof, Instant::now()));
    }
}

fn lifetime(proof: &Proof) -> Duration {
    match proof {
        Proof::Proven(..) => PROVEN_FOR,
        Proof::Refused => REFUSED_FOR,
    }
}
