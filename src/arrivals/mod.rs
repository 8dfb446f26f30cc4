//! Arrivals, now and next: entries and exits per 5 minutes since doors opened, the
//! forecast, the tickets not yet scanned (no-shows after the event), and each gate's
//! rate now against its average. Queries (`queries`), plain maths (`model`,
//! `forecast`), views (`views`, with what a page shows in `shown`) and the shared live computation (`live`); the
//! dashboard and the scan monitor both show them.

pub mod forecast;
mod frames;
pub mod model;
mod queries;
mod shown;
mod views;

pub use frames::{arrivals_frames, ArrivalsCache};
pub use model::Arrivals;
/// What the live view computes, for the query-plan guard.
pub use queries::load_arrivals;
pub use shown::Shown;
pub use views::{arrivals_fragments, arrivals_section, Pushed, ARRIVALS_SSE_EVENT};
