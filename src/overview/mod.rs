//! The multi-event overview: `GET /events` lists the viewer's events, and for each one
//! live now (doors open, see `model::DOORS_OPEN_BEFORE_MS`) shows inside / capacity, scans
//! per minute, tickets sold today and any open gate alert, pushed live over
//! `GET /sse/events/overview`: one out-of-band card per event, redrawn when its event
//! changes, on whichever instance the change happened.

mod frames;
pub mod handlers;
mod model;
mod views;

pub use model::sold_today;
