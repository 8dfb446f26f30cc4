//! The orders' domain model: the states an order, a ticket and an outbox e-mail can be
//! in, with the rules that depend on them, and the money rules of a sale and a refund.
//! Stored and loaded through diesel as text (`domain::stored_as_text!`): an unknown status
//! is a load error.

pub use crate::domain::{DeliveryStatus, OrderStatus, RefundReason, TicketStatus};

/// Longest note an owner may add to a refund or a void, in characters after trimming.
pub const MAX_NOTE_CHARS: usize = 500;

/// Fees the platform keeps, in basis points of the gross (5 %).
pub const FEE_BASIS_POINTS: i64 = 500;

/// The platform's fee on a gross amount, rounded down to the minor unit. An order's
/// fee is the sum of its lines' fees (one line per ticket type), so each ticket type's
/// fees add up exactly to the orders'.
pub fn fee_for(gross: i64) -> i64 {
    gross * FEE_BASIS_POINTS / 10_000
}

/// What a refund of these tickets returns: their prices. Platform fees are not returned.
pub fn refund_amount(prices: impl IntoIterator<Item = i64>) -> i64 {
    prices.into_iter().sum()
}

/// What the organisation keeps of an order: the gross less the platform's fees and
/// whatever was refunded.
pub fn net_of(gross: i64, fees: i64, refunded: i64) -> i64 {
    gross - fees - refunded
}

#[cfg(test)]
mod tests;
