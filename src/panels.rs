//! A page's panels, each loaded on its own within a budget: one whose query fails or
//! runs too long is drawn as "unavailable, retrying" while the rest of the page answers
//! 200, and the page's live stream fills it in once it loads again. A 500 is left for
//! what the page truly cannot do without (the signed-in user, the event itself).

use std::future::Future;
use std::time::Duration;

pub use crate::config::{PanelFaults, PanelName};
use crate::error::AppError;

/// One panel as loaded for a page or a redraw.
#[derive(Debug)]
pub enum Loaded<T> {
    Ready(T),
    /// Its query failed or outran the budget: the page says so and the stream retries.
    Unavailable,
}

impl<T> Loaded<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Self::Ready(value) => Some(value),
            Self::Unavailable => None,
        }
    }
}

/// Loads panels within the pages' budget.
#[derive(Clone, Debug)]
pub struct Panels {
    budget: Duration,
    faults: PanelFaults,
}

impl Panels {
    pub fn new(budget: Duration, faults: PanelFaults) -> Self {
        Self { budget, faults }
    }

    /// The panel's data, or `Unavailable` when its loading fails or outlasts the budget
    /// (logged; the caller draws the panel's "unavailable, retrying").
    pub async fn load<T>(&self, panel: PanelName, work: impl Future<Output = Result<T, AppError>>) -> Loaded<T> {
        let slow = self.faults.is_slow(panel);
        let work = async move {
            if slow {
                // An injected slow query: it outlasts the budget, as a stuck statement would.
                tokio::time::sleep(self.budget * 4).await;
            }
            work.await
        };
        match tokio::time::timeout(self.budget, work).await {
            Ok(Ok(value)) => Loaded::Ready(value),
            Ok(Err(error)) => {
                tracing::warn!(panel = panel.as_str(), error = ?error, "panel unavailable");
                Loaded::Unavailable
            }
            Err(_) => {
                tracing::warn!(
                    panel = panel.as_str(),
                    budget_ms = self.budget.as_millis() as u64,
                    "panel timed out"
                );
                Loaded::Unavailable
            }
        }
    }
}
