//! Orders: selling tickets (`sales.rs`, with the sales rollup in `rollup.rs`), the codes
//! that identify orders and tickets, the domain model (`model.rs`), and order
//! management: the filtered live list (`list/`), one order with its refunds and
//! confirmation resends (`order/`), the CSV export, the e-mail outbox (`outbox/`) and
//! bulk actions on many orders, run as jobs (`bulk/`).

pub mod bulk;
pub mod codes;
pub mod export;
pub mod list;
pub mod model;
pub mod order;
pub mod outbox;
mod rollup;
mod sales;

/// For the bulk seeds (`provisioning::bulk`), which write orders by the thousand.
pub use codes::{order_code_for_id, ticket_code};
pub use list::{pause_text_index, rebuild_text_index, record_buyer_words};
pub use model::{
    fee_for, net_of, refund_amount, DeliveryStatus, OrderStatus, RefundReason, TicketStatus, FEE_BASIS_POINTS,
    MAX_NOTE_CHARS,
};
pub use order::{queue_confirmation, refund, RefundOutcome, RefundRefused, RefundRequest, RefundScope};
pub use rollup::{hour_of, record_sale, refunded_of_type, tickets_held, RefundedTickets, SaleLine, HOUR_MS};
pub use sales::{place_order, sell, NewOrder, OrderItem, PlacedOrder};
