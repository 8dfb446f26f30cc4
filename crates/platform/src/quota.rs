//! At most `limit` things at once per key (exports per organisation, live streams per
//! session): a place is taken, and given back when it is dropped. And `Rate`: at most
//! `limit` things per key in any window of time (door lookups per user).

use std::collections::{HashMap, VecDeque};
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

/// At most `limit` things per key within any `window` (in this process).
#[derive(Clone)]
pub struct Rate<K: Hash + Eq + Clone> {
    limit: usize,
    window: std::time::Duration,
    seen: Arc<Mutex<HashMap<K, VecDeque<std::time::Instant>>>>,
}

impl<K: Hash + Eq + Clone> Rate<K> {
    pub fn new(limit: usize, window: std::time::Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            seen: Arc::default(),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn window(&self) -> std::time::Duration {
        self.window
    }

    /// Counts one for `key` and says yes, or no (and counts nothing) when `key` had
    /// `limit` already within the window.
    pub fn allow(&self, key: K) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        // Keys whose window has passed are forgotten, so the map stays small.
        seen.retain(|_, times| times.back().is_some_and(|last| now.duration_since(*last) < self.window));
        let times = seen.entry(key).or_default();
        while times
            .front()
            .is_some_and(|first| now.duration_since(*first) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            return false;
        }
        times.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_allows_its_limit_per_key_and_then_refuses() {
        let rate = Rate::new(2, std::time::Duration::from_secs(60));
        assert!(rate.allow(1) && rate.allow(1));
        assert!(!rate.allow(1));
        assert!(rate.allow(2), "another key has its own count");
    }

    #[test]
    fn a_rate_forgets_what_left_its_window() {
        let rate = Rate::new(1, std::time::Duration::from_millis(20));
        assert!(rate.allow("k"));
        assert!(!rate.allow("k"));
        std::thread::sleep(std::time::Duration::from_millis(30));
        assert!(rate.allow("k"));
    }
}
