//! The e-mail outbox table: messages are queued as rows in the transaction of what
//! they report; `lease_queue` claims and retries them.

use diesel::prelude::*;

use crate::db::schema::email_outbox;
use crate::db::{DbConnection, Tenant};
use crate::orders::model::DeliveryStatus;

/// A message to queue about an order.
pub struct NewEmail<'a> {
    pub order_id: i64,
    pub recipient: &'a str,
    pub subject: String,
    pub body: String,
}

/// Queues a message, due at once.
pub fn enqueue(conn: &mut DbConnection, tenant: &Tenant, email: NewEmail, now: i64) -> QueryResult<()> {
    diesel::insert_into(email_outbox::table)
        .values((
            email_outbox::organization_id.eq(tenant.organization_id()),
            email_outbox::order_id.eq(Some(email.order_id)),
            email_outbox::recipient.eq(email.recipient),
            email_outbox::subject.eq(email.subject),
            email_outbox::body.eq(email.body),
            email_outbox::status.eq(DeliveryStatus::Queued),
            email_outbox::attempts.eq(0),
            email_outbox::next_attempt_at.eq(now),
            email_outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// When a message about the order was last queued, if ever.
pub fn last_queued_for_order(conn: &mut DbConnection, tenant: &Tenant, order_id: i64) -> QueryResult<Option<i64>> {
    email_outbox::table
        .filter(email_outbox::organization_id.eq(tenant.organization_id()))
        .filter(email_outbox::order_id.eq(order_id))
        .select(diesel::dsl::max(email_outbox::created_at))
        .first(conn)
}

/// A message the worker is delivering.
#[derive(Queryable, Clone, Debug)]
pub struct OutgoingEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
}

/// Message `id` as the worker delivers it.
pub(super) fn load_email(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OutgoingEmail>> {
    email_outbox::table
        .find(id)
        .select((
            email_outbox::id,
            email_outbox::recipient,
            email_outbox::subject,
            email_outbox::body,
            email_outbox::attempts,
            email_outbox::next_attempt_at,
        ))
        .first(conn)
        .optional()
}

/// Messages of every organisation by status (for `/metrics`): read from the
/// `(status, next_attempt_at)` index alone.
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(DeliveryStatus, i64)>> {
    email_outbox::table
        .group_by(email_outbox::status)
        .select((email_outbox::status, diesel::dsl::count_star()))
        .load(conn)
}
