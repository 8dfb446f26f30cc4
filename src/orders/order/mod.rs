//! The order screen: one order's page (`GET /orders/{id}`) and the actions on it:
//! refunds (confirmation step, then the refund), voids (cancelling tickets without a
//! refund, with the same two steps) and resending the confirmation e-mail; its tickets
//! as QR codes to print (`printable.rs`).

mod details;
mod form;
mod handlers;
mod printable;
mod refunds;
mod resend;
mod views;
mod void;

pub use details::{audit_order, find_order, order_details, order_tickets, Order, OrderDetails, TicketLine};
/// The refund form's reason and note, read by the bulk refund form too.
pub use form::{note as parse_note, reason as parse_reason};
pub use handlers::{refund_order, resend_confirmation, review_refund, review_void, show_order, void_order};
pub use printable::printable_tickets;
pub use refunds::{plan_refund, refund, RefundOutcome, RefundPlan, RefundRefused, RefundRequest, RefundScope};
pub use resend::{
    queue_confirmation, queue_confirmation_from, ResendOrigin, ResendRefused, RESENDS_PER_USER, RESEND_WINDOW_MS,
};
pub use void::{plan_void, void, VoidRefused, VoidRequest, Voided};
