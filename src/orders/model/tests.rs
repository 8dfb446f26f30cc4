//! The model's rules and stored forms, checked without a database.

use super::*;

#[test]
fn only_paid_orders_with_valid_tickets_are_refundable() {
    let refundable: Vec<_> = OrderStatus::ALL
        .into_iter()
        .filter(OrderStatus::is_refundable)
        .collect();
    assert_eq!(refundable, [OrderStatus::Paid, OrderStatus::PartiallyRefunded]);
    assert_eq!(OrderStatus::after_refund(0), OrderStatus::Refunded);
    assert_eq!(OrderStatus::after_refund(2), OrderStatus::PartiallyRefunded);
}

#[test]
fn every_status_survives_its_stored_form_and_an_unknown_one_is_refused() {
    for status in OrderStatus::ALL {
        assert_eq!(OrderStatus::from_stored(status.as_stored()), Ok(status));
    }
    for status in TicketStatus::ALL {
        assert_eq!(TicketStatus::from_stored(status.as_stored()), Ok(status));
    }
    for status in DeliveryStatus::ALL {
        assert_eq!(DeliveryStatus::from_stored(status.as_stored()), Ok(status));
    }
    for reason in RefundReason::ALL {
        assert_eq!(RefundReason::from_stored(reason.as_stored()), Ok(reason));
    }
    assert!(RefundReason::from_stored("whim").is_err());
    assert!(OrderStatus::from_stored("shipped").is_err());
    assert!(TicketStatus::from_stored("").is_err());
}

#[test]
fn a_refund_returns_prices_and_keeps_the_fees() {
    let gross = 3 * 4_550;
    let fees = fee_for(gross);
    assert_eq!(fees, 682);
    assert_eq!(net_of(gross, fees, refund_amount([4_550])), gross - 682 - 4_550);
}
