//! What the dashboard shows of an event, as plain data: sales per ticket type, revenue,
//! velocity, hours of sales and the alerts. All money in integer minor units.

use super::sales_rollup::HOUR_MS;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventMetrics {
    pub ticket_types: Vec<TicketTypeSales>,
    pub revenue: Revenue,
    /// People inside now.
    pub inside: i64,
    pub velocity: Velocity,
    /// Tickets sold per hour, oldest first, hours without sales left out.
    pub hourly_sales: Vec<SalesInHour>,
    pub alerts: Vec<Alert>,
    /// The event's zones with their people (empty without zones).
    pub zones: crate::zones::ZoneBoard,
    pub computed_at: i64,
}

/// Tickets sold in one UTC hour, all ticket types together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SalesInHour {
    /// The hour's start, unix milliseconds.
    pub hour_start: i64,
    pub tickets: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketTypeSales {
    pub id: i64,
    pub name: String,
    pub price: i64,
    pub capacity: i64,
    /// Tickets sold and not refunded.
    pub sold: i64,
    pub refunded: i64,
    /// Takings of the tickets still sold (sales minus refunds), before fees.
    pub revenue: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Revenue {
    /// Everything buyers paid.
    pub gross: i64,
    /// The platform's fees (kept on refunds).
    pub fees: i64,
    /// Paid back to buyers.
    pub refunds: i64,
    /// What the organiser keeps: gross − fees − refunds.
    pub net: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Velocity {
    /// Tickets sold in the last 60 minutes.
    pub last_hour: i64,
    /// Tickets sold in the 60 minutes before that.
    pub hour_before: i64,
    /// Tickets sold since sales opened, and for how long sales have been open.
    pub since_open: i64,
    pub open_ms: i64,
}

impl Velocity {
    /// Average tickets per hour since sales opened, in tenths (no floats on the way).
    pub fn average_tenths_per_hour(&self) -> i64 {
        if self.open_ms <= 0 {
            return 0;
        }
        (i128::from(self.since_open) * 10 * i128::from(HOUR_MS) / i128::from(self.open_ms)) as i64
    }
}

impl EventMetrics {
    pub fn sold(&self) -> i64 {
        self.ticket_types.iter().map(|t| t.sold).sum()
    }

    pub fn ticket_capacity(&self) -> i64 {
        self.ticket_types.iter().map(|t| t.capacity).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub subject: AlertSubject,
    pub level: AlertLevel,
    /// When the threshold was passed (as far as the data can tell).
    pub since: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlertSubject {
    Occupancy,
    TicketType(String),
    /// A zone past 90 % of its capacity, or full.
    Zone(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertLevel {
    /// Past 90 %.
    Near,
    /// At or past 100 %.
    Full,
}
