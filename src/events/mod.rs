//! Events: the organisation's event list and the event page with its live occupancy.

pub mod handlers;
pub mod queries;
mod views;
