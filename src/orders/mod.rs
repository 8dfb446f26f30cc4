//! Orders: placing an order (the simulator and seeds sell through it) and the codes
//! that identify orders and tickets.

pub mod codes;
pub mod queries;

pub use queries::{place_order, NewOrder, PlacedOrder};
