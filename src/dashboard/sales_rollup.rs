//! Reading the sales rollup (sales per ticket type per hour) that every sale writes in
//! its transaction (`orders::record_sale`): the dashboard reads this instead of counting
//! tickets, so a million-ticket event is a few hundred rows here. Refunds are not in it;
//! the dashboard subtracts them from the refunds table and the refunded tickets.

use diesel::prelude::*;

use crate::db::schema::ticket_sales_hourly as sales;
use crate::db::{DbConnection, Tenant};

pub use crate::orders::HOUR_MS;

/// One ticket type's sales in one UTC hour.
#[derive(Queryable, Clone, Copy, Debug)]
pub struct HourlySales {
    pub ticket_type_id: i64,
    pub hour_start: i64,
    pub tickets_sold: i64,
    pub gross: i64,
    pub fees: i64,
}

/// The event's hourly sales, oldest hour first.
pub fn event_sales(conn: &mut DbConnection, tenant: &Tenant, event_id: i64) -> QueryResult<Vec<HourlySales>> {
    sales::table
        .filter(sales::organization_id.eq(tenant.organization_id()))
        .filter(sales::event_id.eq(event_id))
        .order(sales::hour_start)
        .select((
            sales::ticket_type_id,
            sales::hour_start,
            sales::tickets_sold,
            sales::gross,
            sales::fees,
        ))
        .load(conn)
}
