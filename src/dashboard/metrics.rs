//! The event dashboard's numbers, computed from the hourly sales rollup, the refunds and
//! the scan counters. All money in integer minor units.

use diesel::prelude::*;

use super::sales_rollup::{self, HourlySales, HOUR_MS};
use crate::db::schema::{orders, refunds, ticket_types, tickets};
use crate::db::{sum_of, DbConnection, Tenant};
use crate::events::Event;
use crate::orders::TicketStatus;

/// Where alerts start: 90 % of a capacity.
const WARN_PERCENT: i64 = 90;

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertLevel {
    /// Past 90 %.
    Near,
    /// At or past 100 %.
    Full,
}

impl EventMetrics {
    pub fn sold(&self) -> i64 {
        self.ticket_types.iter().map(|t| t.sold).sum()
    }

    pub fn ticket_capacity(&self) -> i64 {
        self.ticket_types.iter().map(|t| t.capacity).sum()
    }
}

/// Recomputes everything from the database; `inside` comes from the scan counters.
pub fn compute(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event: &Event,
    inside: i64,
    now: i64,
) -> QueryResult<EventMetrics> {
    let hourly = sales_rollup::event_sales(conn, tenant, event.id)?;
    let ticket_types = ticket_type_sales(conn, tenant, event.id, &hourly)?;
    let gross = hourly.iter().map(|h| h.gross).sum();
    let fees = hourly.iter().map(|h| h.fees).sum();
    let refunds = refunded_amount(conn, tenant, event.id)?;
    let revenue = Revenue {
        gross,
        fees,
        refunds,
        net: gross - fees - refunds,
    };
    let mut hourly_sales: Vec<SalesInHour> = Vec::new();
    for h in &hourly {
        match hourly_sales.last_mut() {
            Some(last) if last.hour_start == h.hour_start => last.tickets += h.tickets_sold,
            _ => hourly_sales.push(SalesInHour {
                hour_start: h.hour_start,
                tickets: h.tickets_sold,
            }),
        }
    }
    let velocity = Velocity {
        last_hour: tickets_sold_between(conn, tenant, event.id, now - HOUR_MS, now)?,
        hour_before: tickets_sold_between(conn, tenant, event.id, now - 2 * HOUR_MS, now - HOUR_MS)?,
        since_open: hourly.iter().map(|h| h.tickets_sold).sum(),
        open_ms: (now.min(event.ends_at) - event.sales_open_at).max(0),
    };
    let alerts = alerts(conn, tenant, event, &ticket_types, inside, now)?;
    Ok(EventMetrics {
        ticket_types,
        revenue,
        inside,
        velocity,
        hourly_sales,
        alerts,
        computed_at: now,
    })
}

/// A ticket type as its sales are counted against it.
#[derive(Queryable)]
struct TicketType {
    id: i64,
    name: String,
    price: i64,
    capacity: i64,
}

/// Each ticket type with what is sold from the rollup, less its refunded tickets.
fn ticket_type_sales(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    hourly: &[HourlySales],
) -> QueryResult<Vec<TicketTypeSales>> {
    let org = tenant.organization_id();
    let types: Vec<TicketType> = ticket_types::table
        .filter(ticket_types::organization_id.eq(org))
        .filter(ticket_types::event_id.eq(event_id))
        .order(ticket_types::id)
        .select((
            ticket_types::id,
            ticket_types::name,
            ticket_types::price,
            ticket_types::capacity,
        ))
        .load(conn)?;
    let mut sales = Vec::with_capacity(types.len());
    for TicketType {
        id,
        name,
        price,
        capacity,
    } in types
    {
        let of_type = hourly.iter().filter(|h| h.ticket_type_id == id);
        let (sold_ever, gross) = of_type.fold((0, 0), |(n, g), h| (n + h.tickets_sold, g + h.gross));
        let refunded = crate::orders::refunded_of_type(conn, tenant, event_id, id)?;
        sales.push(TicketTypeSales {
            id,
            name,
            price,
            capacity,
            sold: sold_ever - refunded.tickets,
            refunded: refunded.tickets,
            revenue: gross - refunded.amount,
        });
    }
    Ok(sales)
}

/// Everything paid back on the event's orders: the organisation's refunds (few) joined
/// to their orders by primary key.
fn refunded_amount(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<i64> {
    let org = tenant.organization_id();
    Ok(refunds::table
        .inner_join(orders::table)
        .filter(refunds::organization_id.eq(org))
        .filter(orders::organization_id.eq(org))
        .filter(orders::event_id.eq(event_id))
        .select(sum_of("refunds.amount"))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Tickets sold in `[from, until)` (refunded ones included: they were sold then).
fn tickets_sold_between(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event_id: i64,
    from: i64,
    until: i64,
) -> QueryResult<i64> {
    tickets::table
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::event_id.eq(event_id))
        .filter(tickets::created_at.ge(from))
        .filter(tickets::created_at.lt(until))
        .filter(tickets::status.eq_any([TicketStatus::Valid, TicketStatus::Refunded]))
        .count()
        .get_result(conn)
}

/// The threshold of a level: the n-th ticket or person that passes it.
fn threshold(capacity: i64, level: AlertLevel) -> i64 {
    match level {
        AlertLevel::Near => (capacity * WARN_PERCENT + 99) / 100,
        AlertLevel::Full => capacity,
    }
}

/// Past 90 % or full, or neither (also with no capacity set).
pub fn level_of(count: i64, capacity: i64) -> Option<AlertLevel> {
    if capacity <= 0 {
        None
    } else if count >= threshold(capacity, AlertLevel::Full) {
        Some(AlertLevel::Full)
    } else if count >= threshold(capacity, AlertLevel::Near) {
        Some(AlertLevel::Near)
    } else {
        None
    }
}

/// Occupancy past 90 % of the venue, and ticket types past 90 % sold or sold out, each
/// with the moment it happened: when the n-th person still inside came in, or when the
/// n-th ticket still sold was bought.
fn alerts(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event: &Event,
    types: &[TicketTypeSales],
    inside: i64,
    now: i64,
) -> QueryResult<Vec<Alert>> {
    let org = tenant.organization_id();
    let mut alerts = Vec::new();
    if let Some(level) = level_of(inside, event.capacity) {
        let since: Option<Option<i64>> = tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::event_id.eq(event.id))
            .filter(tickets::inside_since.is_not_null())
            .order(tickets::inside_since)
            .offset(threshold(event.capacity, level) - 1)
            .select(tickets::inside_since)
            .first(conn)
            .optional()?;
        alerts.push(Alert {
            subject: AlertSubject::Occupancy,
            level,
            since: since.flatten().unwrap_or(now),
        });
    }
    for ticket_type in types {
        let Some(level) = level_of(ticket_type.sold, ticket_type.capacity) else {
            continue;
        };
        let since: Option<i64> = tickets::table
            .filter(tickets::organization_id.eq(org))
            .filter(tickets::event_id.eq(event.id))
            .filter(tickets::ticket_type_id.eq(ticket_type.id))
            .filter(tickets::status.eq(TicketStatus::Valid))
            .order(tickets::created_at)
            .offset(threshold(ticket_type.capacity, level) - 1)
            .select(tickets::created_at)
            .first(conn)
            .optional()?;
        alerts.push(Alert {
            subject: AlertSubject::TicketType(ticket_type.name.clone()),
            level,
            since: since.unwrap_or(now),
        });
    }
    Ok(alerts)
}
