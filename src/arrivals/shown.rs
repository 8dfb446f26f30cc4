//! What a page's arrivals section shows: the arrivals, or why they are not there yet.

use std::sync::Arc;

use super::model::Arrivals;
use crate::panels::Loaded;

/// What the arrivals section shows: the arrivals, or why not (yet).
#[derive(Clone, Copy)]
pub enum Shown<'a> {
    Ready(&'a Arrivals),
    /// None kept yet and not computed within the first paint: the stream brings them.
    Loading,
    /// Their queries failed or ran too long: the stream retries.
    Unavailable,
}

impl<'a> Shown<'a> {
    pub fn of(loaded: &'a Loaded<Option<Arc<Arrivals>>>) -> Self {
        match loaded {
            Loaded::Ready(Some(arrivals)) => Self::Ready(arrivals),
            Loaded::Ready(None) => Self::Loading,
            Loaded::Unavailable => Self::Unavailable,
        }
    }

    /// A live redraw's: it waits for the computation, so never "loading".
    pub fn live(loaded: &'a Loaded<Arc<Arrivals>>) -> Self {
        match loaded {
            Loaded::Ready(arrivals) => Self::Ready(arrivals),
            Loaded::Unavailable => Self::Unavailable,
        }
    }
}
