//! The states an order, a ticket and an outbox e-mail can be in, and why an order was
//! refunded, with the rules that depend on them. Stored by name: an unknown status is a
//! load error.

use diesel::sql_types::Text;

/// An order's status, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum OrderStatus {
    Pending,
    Paid,
    Refunded,
    PartiallyRefunded,
    Cancelled,
}

crate::stored_as_text!(OrderStatus);

impl OrderStatus {
    /// In the order the filter offers them.
    pub const ALL: [OrderStatus; 5] = [
        Self::Pending,
        Self::Paid,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Cancelled,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    #[inline]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Cancelled => "cancelled",
        }
    }

    #[inline]
    pub fn label(&self) -> &'static str {
        match self {
            Self::PartiallyRefunded => "partially refunded",
            other => other.as_str(),
        }
    }

    /// Paid and not wholly refunded: some of its tickets still admit their holders.
    pub fn has_valid_tickets(&self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyRefunded)
    }

    /// Whether an owner may refund (some of) it.
    pub fn is_refundable(&self) -> bool {
        self.has_valid_tickets()
    }

    /// Whether its confirmation e-mail (the valid tickets) can be sent again.
    pub fn can_resend_confirmation(&self) -> bool {
        self.has_valid_tickets()
    }

    /// Whether it was sold (and so counts in the sales rollup), refunded since or not.
    pub fn was_sold(&self) -> bool {
        matches!(self, Self::Paid | Self::Refunded | Self::PartiallyRefunded)
    }

    /// Whether money went back on it: it has refunds, and they have reasons.
    pub fn was_refunded(&self) -> bool {
        matches!(self, Self::Refunded | Self::PartiallyRefunded)
    }

    /// The status after a refund that leaves `still_valid` tickets.
    pub fn after_refund(still_valid: i64) -> Self {
        if still_valid == 0 {
            Self::Refunded
        } else {
            Self::PartiallyRefunded
        }
    }

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        Self::parse(raw).ok_or_else(|| format!("unknown order status {raw:?}"))
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Why an owner refunded or voided an order, as stored in `refunds.reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum RefundReason {
    BuyerRequest,
    EventChange,
    DuplicateOrder,
    Fraud,
    Other,
}

crate::stored_as_text!(RefundReason);

impl RefundReason {
    /// In the order the refund form offers them.
    pub const ALL: [RefundReason; 5] = [
        Self::BuyerRequest,
        Self::EventChange,
        Self::DuplicateOrder,
        Self::Fraud,
        Self::Other,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    #[inline]
    pub fn as_str(&self) -> &'static str {
        self.names().0
    }

    #[inline]
    pub fn label(&self) -> &'static str {
        self.names().1
    }

    /// (stored, shown).
    fn names(&self) -> (&'static str, &'static str) {
        match self {
            Self::BuyerRequest => ("buyer_request", "Buyer request"),
            Self::EventChange => ("event_change", "Event change"),
            Self::DuplicateOrder => ("duplicate_order", "Duplicate order"),
            Self::Fraud => ("fraud", "Fraud"),
            Self::Other => ("other", "Other"),
        }
    }

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        Self::parse(raw).ok_or_else(|| format!("unknown refund reason {raw:?}"))
    }
}

/// A ticket's status, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum TicketStatus {
    Valid,
    Refunded,
    Cancelled,
}

crate::stored_as_text!(TicketStatus);

impl TicketStatus {
    pub const ALL: [TicketStatus; 3] = [Self::Valid, Self::Refunded, Self::Cancelled];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    #[inline]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Refunded => "refunded",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether it gets its holder in at a gate (and can still be refunded).
    pub fn is_valid(&self) -> bool {
        *self == Self::Valid
    }

    /// Why a gate refuses it, or None when it admits.
    pub fn refusal(&self) -> Option<&'static str> {
        match self {
            Self::Valid => None,
            Self::Refunded => Some("ticket was refunded"),
            Self::Cancelled => Some("ticket was cancelled"),
        }
    }

    #[inline]
    pub fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    pub fn from_stored(raw: &str) -> Result<Self, String> {
        Self::parse(raw).ok_or_else(|| format!("unknown ticket status {raw:?}"))
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
