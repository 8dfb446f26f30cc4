//! Values the live views keep, per key (an event): computed in the background, one
//! computation at a time per key, which everyone who needs a newer value joins. Nobody
//! waits on a lock held across a query: the map's lock is held only to look and to
//! store, and a reader that can use the kept value never waits at all.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use tokio::time::Instant;

/// Keys not asked for in this long are dropped.
const IDLE: Duration = Duration::from_secs(600);

/// A computation under way, shared by everyone waiting for it.
type Flight<V> = Shared<BoxFuture<'static, Result<Arc<V>, String>>>;

struct Slot<V> {
    asked: Instant,
    value: Option<(Instant, Arc<V>)>,
    flight: Option<Flight<V>>,
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Self {
            asked: Instant::now(),
            value: None,
            flight: None,
        }
    }
}

pub struct Kept<K, V> {
    slots: Arc<Mutex<HashMap<K, Slot<V>>>>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Self { slots: Arc::default() }
    }
}

/// What a reader found: the kept value and its age, and the computation under way.
pub struct Found<V> {
    pub value: Option<(Duration, Arc<V>)>,
    flight: Flight<V>,
}

impl<V> Found<V> {
    /// Waits for the computation under way: its value, or why it failed.
    pub async fn computed(self) -> Result<Arc<V>, String> {
        self.flight.await
    }
}

impl<K, V> Kept<K, V>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Send + Sync + 'static,
{
    /// The kept value when younger than `max_age`; else the value joins (or starts,
    /// with `compute`) the key's computation and waits for it.
    pub async fn get<F, E>(&self, key: K, max_age: Duration, compute: F) -> Result<Arc<V>, String>
    where
        F: FnOnce() -> BoxFuture<'static, Result<V, E>>,
        E: std::fmt::Debug + std::fmt::Display + Send + 'static,
    {
        if let Some(value) = self.peek(&key, max_age) {
            return Ok(value);
        }
        self.refresh(key, compute).computed().await
    }

    /// The kept value when younger than `max_age`, without computing anything.
    pub fn peek(&self, key: &K, max_age: Duration) -> Option<Arc<V>> {
        let mut slots = self.lock();
        let slot = slots.get_mut(key)?;
        slot.asked = Instant::now();
        let (at, value) = slot.value.as_ref()?;
        (at.elapsed() < max_age).then(|| Arc::clone(value))
    }

    /// The kept value with its age, and the key's computation: the one under way, or
    /// one started now (in the background: it finishes and is kept even when nobody
    /// waits for it).
    pub fn refresh<F, E>(&self, key: K, compute: F) -> Found<V>
    where
        F: FnOnce() -> BoxFuture<'static, Result<V, E>>,
        E: std::fmt::Debug + std::fmt::Display + Send + 'static,
    {
        let mut slots = self.lock();
        slots.retain(|_, slot| slot.asked.elapsed() < IDLE || slot.flight.is_some());
        let slot = slots.entry(key.clone()).or_default();
        slot.asked = Instant::now();
        let value = slot.value.as_ref().map(|(at, value)| (at.elapsed(), Arc::clone(value)));
        let flight = match &slot.flight {
            Some(flight) => flight.clone(),
            None => {
                let flight = self.start(key, compute());
                slot.flight = Some(flight.clone());
                flight
            }
        };
        Found { value, flight }
    }

    fn start<E>(&self, key: K, work: BoxFuture<'static, Result<V, E>>) -> Flight<V>
    where
        E: std::fmt::Debug + std::fmt::Display + Send + 'static,
    {
        let slots = Arc::clone(&self.slots);
        let task = tokio::spawn(async move {
            let outcome = work.await.map(Arc::new).map_err(|error| {
                tracing::warn!(error = ?error, "a kept value could not be computed");
                error.to_string()
            });
            let mut slots = slots.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(slot) = slots.get_mut(&key) {
                slot.flight = None;
                if let Ok(value) = &outcome {
                    slot.value = Some((Instant::now(), Arc::clone(value)));
                }
            }
            outcome
        });
        async move { task.await.map_err(|e| format!("the computation stopped: {e}"))? }
            .boxed()
            .shared()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Slot<V>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
