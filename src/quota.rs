//! At most `limit` things at once per key (exports per organisation, live streams per
//! session): a place is taken, and given back when it is dropped.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Clone)]
pub struct Quota<K: Hash + Eq + Clone> {
    limit: usize,
    taken: Arc<Mutex<HashMap<K, usize>>>,
}

/// One place of a quota, held as long as the thing it counts lasts.
pub struct Place<K: Hash + Eq + Clone> {
    quota: Quota<K>,
    key: K,
}

impl<K: Hash + Eq + Clone> Quota<K> {
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            taken: Arc::default(),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A place for `key`, or None when all of its places are taken.
    pub fn take(&self, key: K) -> Option<Place<K>> {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        let count = taken.entry(key.clone()).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Place {
            quota: self.clone(),
            key,
        })
    }
}

impl<K: Hash + Eq + Clone> Drop for Place<K> {
    fn drop(&mut self) {
        let mut taken = self.quota.taken.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = taken.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                taken.remove(&self.key);
            }
        }
    }
}
