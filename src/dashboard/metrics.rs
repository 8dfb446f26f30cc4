//! The event dashboard's numbers, computed from the hourly sales rollup, the refunds and
//! the scan counters. All money in integer minor units.

use diesel::prelude::*;

use super::model::{EventMetrics, Revenue, SalesInHour, TicketTypeSales, Velocity};
use super::sales_rollup::{self, HourlySales, HOUR_MS};
use crate::db::schema::{orders, refunds, ticket_types, tickets};
use crate::db::{sum_of, DbConnection, Tenant};
use crate::events::Event;
use crate::orders::TicketStatus;
use crate::scanning::EventCounts;

/// Recomputes everything from the database; who is inside (and in which zone) comes
/// from the scan counters.
pub fn compute(
    conn: &mut DbConnection,
    tenant: &Tenant,
    event: &Event,
    counts: &EventCounts,
    now: i64,
) -> QueryResult<EventMetrics> {
    let inside = counts.occupancy;
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
    let mut alerts = super::capacity_alerts::alerts(conn, tenant, event, &ticket_types, inside, now)?;
    let zones = crate::zones::read_board(conn, tenant, event.id, &counts.zones, inside)?;
    alerts.extend(super::capacity_alerts::zone_alerts(&zones, now));
    Ok(EventMetrics {
        ticket_types,
        revenue,
        inside,
        velocity,
        hourly_sales,
        alerts,
        zones,
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

/// Everything paid back on the event's orders: the organisation's refunds (few), each
/// with its order's event looked up by the order's key. The order is a correlated
/// subquery, not a join, so neither planner can turn it around: joined, SQLite with
/// sampled statistics walked every order of the event and probed the refunds once per
/// order (23 ms against 2.9 ms at 300k tickets), and `+` on the orders filters, which
/// cures that on SQLite, makes PostgreSQL scan the whole orders table (it can use
/// neither an index nor its column statistics for them). Guarded by
/// `tests/api/platform/query_plans/`.
fn refunded_amount(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<i64> {
    let org = tenant.organization_id();
    let order_event = orders::table
        .filter(orders::id.eq(refunds::order_id))
        .filter(orders::organization_id.eq(org))
        .select(orders::event_id)
        .single_value();
    Ok(refunds::table
        .filter(refunds::organization_id.eq(org))
        .filter(order_event.eq(event_id))
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
