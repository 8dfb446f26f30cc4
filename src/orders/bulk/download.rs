//! An export job's CSV: the orders it took, a page at a time, as the export's own rows
//! (`orders::export::csv_of`), read when it is downloaded (so it shows the orders as
//! they are then). A job holds at most `MAX_JOB_ORDERS`, so the file is built whole.

use std::collections::HashMap;

use diesel::prelude::*;

use super::model::Job;
use super::queries;
use crate::db::schema::orders;
use crate::db::{DbConnection, Tenant};
use crate::orders::export::{csv_header, csv_of};
use crate::orders::list::{event_labels, organization_timezone, OrderSummary};

/// Orders read per page.
const PAGE: i64 = 1_000;

pub fn job_csv(conn: &mut DbConnection, tenant: &Tenant, job: &Job) -> anyhow::Result<Vec<u8>> {
    let timezone = organization_timezone(conn, tenant)?;
    let events = event_labels(conn, tenant, None)?;
    let mut csv = csv_header()?;
    let mut after = -1;
    loop {
        let page = queries::done_orders(conn, job.id, after, PAGE)?;
        let Some(&(last, _)) = page.last() else { break };
        after = last;
        let ids: Vec<i64> = page.iter().map(|&(_, id)| id).collect();
        let mut found: HashMap<i64, OrderSummary> = orders::table
            .filter(orders::organization_id.eq(tenant.organization_id()))
            .filter(orders::id.eq_any(&ids))
            .select(OrderSummary::as_select())
            .load::<OrderSummary>(conn)?
            .into_iter()
            .map(|order| (order.id, order))
            .collect();
        let in_job_order: Vec<OrderSummary> = ids.iter().filter_map(|id| found.remove(id)).collect();
        csv.extend(csv_of(conn, tenant, &in_job_order, &events, timezone)?);
    }
    Ok(csv)
}
