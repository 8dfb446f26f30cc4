//! Kiosk displays: owners create read-only links for an event (optionally one gate);
//! the link opens a large, dark occupancy screen that needs no login, reconnects by
//! itself and says plainly when its numbers are stale. Revoking a link ends it at once,
//! open stream included (`links.rs` owns both sides of that).

mod display;
pub mod handlers;
mod links;
mod queries;
mod views;

pub use links::{create_kiosk_link, revoke_kiosk_link, LinkRequest};
