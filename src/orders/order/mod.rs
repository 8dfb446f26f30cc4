//! The order screen: one order's page (`GET /orders/{id}`) and the actions on it:
//! refunds (confirmation step, then the refund) and resending the confirmation e-mail.

mod details;
mod form;
mod handlers;
mod refunds;
mod resend;
mod views;

pub use details::{audit_order, find_order, order_details, order_tickets, Order, OrderDetails, TicketLine};
pub use handlers::{refund_order, resend_confirmation, review_refund, show_order};
pub use refunds::{plan_refund, refund, RefundOutcome, RefundPlan, RefundRefused, RefundRequest, RefundScope};
pub use resend::{
    queue_confirmation, queue_confirmation_from, ResendOrigin, ResendRefused, RESENDS_PER_USER, RESEND_WINDOW_MS,
};
