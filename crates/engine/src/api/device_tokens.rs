//! The device tokens the gates present, known in memory: a snapshot of every unrevoked
//! device's token hash, read from the gates' pool by one request at a time. While it is
//! younger than `PROVEN_FOR` a known token costs no query, and a revoked token stops
//! working within that time. A token the snapshot lacks waits until the snapshot is
//! `RECHECK_AFTER` old and is looked for in the next one: so made-up tokens, at any
//! rate, cost at most a few snapshot reads a second (never one query each on the gates'
//! two connections), and a device created a moment ago is known at its first post. A
//! token a snapshot read after it came did not hold is no device's (tokens are made with
//! their device): it is refused from memory for `REFUSED_FOR`, database or not.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::db::Tenant;
use crate::model::GateDevice;

/// How long a snapshot is believed for the tokens it holds.
pub const PROVEN_FOR: Duration = Duration::from_secs(2);
/// How long a snapshot is believed for the tokens it lacks.
pub const RECHECK_AFTER: Duration = Duration::from_millis(250);
/// How long a token found to be no device's is refused without looking again.
pub const REFUSED_FOR: Duration = Duration::from_secs(10);
/// Most refused tokens remembered at once; a full memory is cleared rather than grown.
const MAX_REFUSED: usize = 10_000;

/// What the snapshot says of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    Proven(Tenant, GateDevice),
    /// Not in the snapshot read at `read_at`.
    Refused {
        read_at: Instant,
    },
    /// Found to be no device's a moment ago.
    NoDevices,
    /// Too old to say: read the snapshot again.
    Stale,
}

/// Every unrevoked device by its token hash.
pub type KnownDevices = HashMap<String, (Tenant, GateDevice)>;

#[derive(Default)]
pub struct DeviceTokens {
    snapshot: RwLock<Option<(Arc<KnownDevices>, Instant)>>,
    /// Tokens found to be no device's, and when.
    refused: Mutex<HashMap<String, Instant>>,
    /// Held while the snapshot is read, so that one request reads it at a time.
    pub reading: tokio::sync::Mutex<()>,
    reads: AtomicU64,
}

impl DeviceTokens {
    pub fn proof(&self, token_hash: &str) -> Proof {
        let refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        if refused.get(token_hash).is_some_and(|at| at.elapsed() < REFUSED_FOR) {
            return Proof::NoDevices;
        }
        drop(refused);
        let snapshot = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
        let Some((devices, read_at)) = snapshot.as_ref() else {
            return Proof::Stale;
        };
        let age = read_at.elapsed();
        match devices.get(token_hash) {
            Some(&(tenant, device)) if age < PROVEN_FOR => Proof::Proven(tenant, device),
            None if age < RECHECK_AFTER => Proof::Refused { read_at: *read_at },
            _ => Proof::Stale,
        }
    }

    /// The snapshot just read.
    pub fn replace(&self, devices: KnownDevices) {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let mut snapshot = self.snapshot.write().unwrap_or_else(PoisonError::into_inner);
        *snapshot = Some((Arc::new(devices), Instant::now()));
    }

    /// Remembers a token as no device's.
    /// Drops the snapshot, so the next request reads the devices again: a device revoked
    /// here is refused at once by this instance (others within `PROVEN_FOR`).
    pub fn forget(&self) {
        *self.snapshot.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub fn refuse(&self, token_hash: String) {
        let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        refused.retain(|_, at| at.elapsed() < REFUSED_FOR);
        if refused.len() >= MAX_REFUSED {
            refused.clear();
        }
        refused.insert(token_hash, Instant::now());
    }

    /// How many times the snapshot was read (`/metrics`).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}
