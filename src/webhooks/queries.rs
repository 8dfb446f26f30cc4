//! The webhook tables: an organisation's endpoints, and their deliveries queued as an
//! outbox (`enqueue` runs inside the transaction of the change it reports).

use diesel::prelude::*;
use serde_json::Value;

use super::model::{delivery_body, EventKind, EventSet};
use super::signing::new_delivery_key;
use crate::db::schema::{scans, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConnection, Tenant};
use crate::domain::DeliveryStatus;
use crate::with_backend;

/// An endpoint as the settings page shows it.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub events: EventSet,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

type EndpointRow = (i64, String, String, Option<i64>, i64);

fn endpoint_of((id, url, events, disabled_at, created_at): EndpointRow) -> Endpoint {
    Endpoint {
        id,
        url,
        events: EventSet::from_stored(&events),
        disabled_at,
        created_at,
    }
}

const ENDPOINT_COLUMNS: (
    webhook_endpoints::id,
    webhook_endpoints::url,
    webhook_endpoints::events,
    webhook_endpoints::disabled_at,
    webhook_endpoints::created_at,
) = (
    webhook_endpoints::id,
    webhook_endpoints::url,
    webhook_endpoints::events,
    webhook_endpoints::disabled_at,
    webhook_endpoints::created_at,
);

pub struct NewEndpoint<'a> {
    pub url: &'a str,
    pub events: &'a EventSet,
    pub secret: &'a str,
    pub created_by: Option<i64>,
    pub now: i64,
}

/// Adds an endpoint; its scan cursor starts at the newest scan, so it hears of scans
/// from now on. Its id.
pub fn create_endpoint(conn: &mut DbConnection, tenant: &Tenant, new: &NewEndpoint) -> QueryResult<i64> {
    let newest_scan: Option<i64> = scans::table.select(diesel::dsl::max(scans::id)).first(conn)?;
    let values = (
        webhook_endpoints::organization_id.eq(tenant.organization_id()),
        webhook_endpoints::url.eq(new.url),
        webhook_endpoints::events.eq(new.events.to_stored()),
        webhook_endpoints::secret.eq(new.secret),
        webhook_endpoints::scan_cursor.eq(newest_scan.unwrap_or(0)),
        webhook_endpoints::scan_cursor_at.eq(new.now),
        webhook_endpoints::created_by.eq(new.created_by),
        webhook_endpoints::created_at.eq(new.now),
    );
    with_backend!(conn, |c| diesel::insert_into(webhook_endpoints::table)
        .values(values)
        .returning(webhook_endpoints::id)
        .get_result(c))
}

pub fn list_endpoints(conn: &mut DbConnection, tenant: &Tenant) -> QueryResult<Vec<Endpoint>> {
    let rows: Vec<EndpointRow> = webhook_endpoints::table
        .filter(webhook_endpoints::organization_id.eq(tenant.organization_id()))
        .order(webhook_endpoints::id)
        .select(ENDPOINT_COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(endpoint_of).collect())
}

/// One of the tenant's endpoints; another organisation's is not found.
pub fn find_endpoint(conn: &mut DbConnection, tenant: &Tenant, id: i64) -> QueryResult<Endpoint> {
    let row: EndpointRow = webhook_endpoints::table
        .filter(webhook_endpoints::organization_id.eq(tenant.organization_id()))
        .filter(webhook_endpoints::id.eq(id))
        .select(ENDPOINT_COLUMNS)
        .first(conn)?;
    Ok(endpoint_of(row))
}

/// Disables (`Some(now)`) or enables (`None`) one of the tenant's endpoints; false
/// when there is no such endpoint.
pub fn set_disabled(conn: &mut DbConnection, tenant: &Tenant, id: i64, disabled_at: Option<i64>) -> QueryResult<bool> {
    let changed = diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::organization_id.eq(tenant.organization_id()))
            .filter(webhook_endpoints::id.eq(id)),
    )
    .set(webhook_endpoints::disabled_at.eq(disabled_at))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Deletes one of the tenant's endpoints with its deliveries; false when there is no
/// such endpoint.
pub fn delete_endpoint(conn: &mut DbConnection, tenant: &Tenant, id: i64) -> QueryResult<bool> {
    let org = tenant.organization_id();
    crate::db::write_transaction(conn, |conn| {
        diesel::delete(
            webhook_deliveries::table
                .filter(webhook_deliveries::organization_id.eq(org))
                .filter(webhook_deliveries::endpoint_id.eq(id)),
        )
        .execute(conn)?;
        let deleted = diesel::delete(
            webhook_endpoints::table
                .filter(webhook_endpoints::organization_id.eq(org))
                .filter(webhook_endpoints::id.eq(id)),
        )
        .execute(conn)?;
        Ok(deleted == 1)
    })
}

/// Queues `kind` for every enabled endpoint of the tenant that receives it, in the
/// caller's transaction: a rollback queues nothing, a commit queues it for delivery.
/// How many deliveries were queued.
pub fn enqueue(
    conn: &mut DbConnection,
    tenant: &Tenant,
    kind: EventKind,
    data: &Value,
    now: i64,
) -> QueryResult<usize> {
    let subscribed: Vec<(i64, String)> = webhook_endpoints::table
        .filter(webhook_endpoints::organization_id.eq(tenant.organization_id()))
        .filter(webhook_endpoints::disabled_at.is_null())
        .select((webhook_endpoints::id, webhook_endpoints::events))
        .load(conn)?;
    let mut queued = 0;
    for (endpoint_id, events) in subscribed {
        if EventSet::from_stored(&events).contains(kind) {
            enqueue_for(conn, tenant, endpoint_id, kind, data, now)?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// Queues one delivery of `kind` to one endpoint (the caller checked it is the tenant's).
pub fn enqueue_for(
    conn: &mut DbConnection,
    tenant: &Tenant,
    endpoint_id: i64,
    kind: EventKind,
    data: &Value,
    now: i64,
) -> QueryResult<()> {
    let key = new_delivery_key();
    let body = delivery_body(&key, kind, tenant.organization_id(), now, data);
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::organization_id.eq(tenant.organization_id()),
            webhook_deliveries::endpoint_id.eq(endpoint_id),
            webhook_deliveries::delivery_key.eq(&key),
            webhook_deliveries::event.eq(kind.as_str()),
            webhook_deliveries::body.eq(body),
            webhook_deliveries::status.eq(DeliveryStatus::Queued),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(now),
            webhook_deliveries::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A delivery as the endpoint's log shows it.
#[derive(Queryable, Clone, Debug)]
pub struct DeliveryLine {
    pub id: i64,
    pub delivery_key: String,
    pub event: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The endpoint's newest deliveries, newest first.
pub fn recent_deliveries(
    conn: &mut DbConnection,
    tenant: &Tenant,
    endpoint_id: i64,
    limit: i64,
) -> QueryResult<Vec<DeliveryLine>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::organization_id.eq(tenant.organization_id()))
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::delivery_key,
            webhook_deliveries::event,
            webhook_deliveries::status,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
            webhook_deliveries::last_error,
            webhook_deliveries::created_at,
            webhook_deliveries::sent_at,
        ))
        .load(conn)
}

/// A delivery as the worker sends it.
#[derive(Queryable, Clone, Debug)]
pub struct OutgoingDelivery {
    pub delivery_key: String,
    pub event: String,
    pub body: String,
    pub url: String,
    pub secret: String,
    pub disabled_at: Option<i64>,
}

/// Delivery `id` with its endpoint's URL and secret (the worker acts for the platform).
pub fn outgoing_delivery(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OutgoingDelivery>> {
    webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::id.eq(id))
        .select((
            webhook_deliveries::delivery_key,
            webhook_deliveries::event,
            webhook_deliveries::body,
            webhook_endpoints::url,
            webhook_endpoints::secret,
            webhook_endpoints::disabled_at,
        ))
        .first(conn)
        .optional()
}
