//! Orders: placing an order (the simulator and seeds sell through it), the codes that
//! identify orders and tickets, and order management: the filtered live list, the order
//! page, refunds, the confirmation e-mail outbox and the CSV export.

pub mod codes;
pub mod details;
pub mod export;
pub mod filter;
pub mod handlers;
pub mod order_handlers;
pub mod order_views;
pub mod outbox;
pub mod queries;
pub mod refunds;
pub mod search;
pub mod views;

pub use queries::{place_order, NewOrder, PlacedOrder};
