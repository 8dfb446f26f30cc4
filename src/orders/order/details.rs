//! What the order page shows: the order, its tickets and their scans, refunds, e-mails
//! and the audit log of actions on it. All scoped by the tenant.

use diesel::prelude::*;

use crate::audit::{record, Action, Entry, Subject};
use crate::db::schema::{audit_log, email_outbox, events, gates, orders, refunds, scans, ticket_types, tickets, users};
use crate::db::{DbConnection, Tenant};
use crate::events::TimeZone;
use crate::orders::model::{DeliveryStatus, OrderStatus, RefundReason, TicketStatus};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = orders)]
pub struct Order {
    pub id: i64,
    pub event_id: i64,
    pub code: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub status: OrderStatus,
    pub gross: i64,
    pub fees: i64,
    pub net: i64,
    pub created_at: i64,
}

#[derive(Queryable, Clone, Debug)]
pub struct OrderEvent {
    pub name: String,
    pub currency: String,
    pub timezone: TimeZone,
}

#[derive(Queryable, Clone, Debug)]
pub struct TicketLine {
    pub id: i64,
    pub code: String,
    pub ticket_type: String,
    pub status: TicketStatus,
    pub price: i64,
    pub inside_since: Option<i64>,
}

#[derive(Queryable, Clone, Debug)]
pub struct TicketScan {
    pub ticket_id: Option<i64>,
    pub scanned_at: i64,
    pub gate: String,
    pub direction: String,
    pub result: String,
    pub reason: Option<String>,
}

#[derive(Queryable, Clone, Debug)]
pub struct RefundLine {
    pub amount: i64,
    pub by: String,
    pub created_at: i64,
    pub reason: RefundReason,
    pub note: Option<String>,
}

#[derive(Queryable, Clone, Debug)]
pub struct EmailLine {
    pub subject: String,
    pub recipient: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

#[derive(Queryable, Clone, Debug)]
pub struct AuditLine {
    pub action: String,
    pub by: Option<String>,
    pub details: String,
    pub created_at: i64,
}

/// Everything the order page shows.
#[derive(Clone, Debug)]
pub struct OrderDetails {
    pub order: Order,
    pub event: OrderEvent,
    pub tickets: Vec<TicketLine>,
    pub scans: Vec<TicketScan>,
    pub refunds: Vec<RefundLine>,
    pub emails: Vec<EmailLine>,
    pub audit: Vec<AuditLine>,
}

impl OrderDetails {
    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }

    /// The buyer's and the e-mails' addresses as the user may see them, in the audit
    /// lines and delivery errors too.
    pub fn mask_emails_for(&mut self, user: &crate::auth::CurrentUser) {
        self.order.buyer_email = user.shown_email(&self.order.buyer_email);
        for email in &mut self.emails {
            email.recipient = user.shown_email(&email.recipient);
            email.last_error = email.last_error.as_deref().map(|error| user.shown_text(error));
        }
        for line in &mut self.audit {
            line.details = user.shown_text(&line.details);
        }
    }
}

/// The order's details, as `user` may see them: `NotFound` unless it is their
/// organisation's and of one of their events (its buyer's address not yet masked).
pub async fn visible_order_details(
    pool: &crate::db::Pool,
    user: &crate::auth::CurrentUser,
    order_id: i64,
) -> Result<OrderDetails, crate::error::AppError> {
    let (tenant, scope) = (user.tenant(), user.events().clone());
    crate::error::with_db(pool, move |conn| {
        require_order_in(conn, &tenant, order_id, &scope)?;
        Ok(order_details(conn, &tenant, order_id)?)
    })
    .await
}

/// `NotFound` unless the order is the tenant's and of an event in `scope`.
pub fn require_order_in(
    conn: &mut DbConnection,
    tenant: &Tenant,
    order_id: i64,
    scope: &crate::auth::EventScope,
) -> QueryResult<()> {
    let event_id: i64 = orders::table
        .filter(orders::organization_id.eq(tenant.organization_id()))
        .filter(orders::id.eq(order_id))
        .select(orders::event_id)
        .first(conn)?;
    match scope.includes(event_id) {
        true => Ok(()),
        false => Err(diesel::result::Error::NotFound),
    }
}

/// One of the tenant's orders; another organisation's id is `NotFound`, like a missing one.
pub fn find_order(conn: &mut DbConnection, tenant: &Tenant, order_id: i64) -> QueryResult<Order> {
    orders::table
        .filter(orders::organization_id.eq(tenant.organization_id()))
        .filter(orders::id.eq(order_id))
        .select(Order::as_select())
        .first(conn)
}

/// The order's tickets, in the order they were issued.
pub fn order_tickets(conn: &mut DbConnection, tenant: &Tenant, order_id: i64) -> QueryResult<Vec<TicketLine>> {
    tickets::table
        .inner_join(ticket_types::table)
        .filter(tickets::organization_id.eq(tenant.organization_id()))
        .filter(tickets::order_id.eq(order_id))
        .order(tickets::id)
        .select((
            tickets::id,
            tickets::code,
            ticket_types::name,
            tickets::status,
            tickets::price,
            tickets::inside_since,
        ))
        .load(conn)
}

pub fn order_details(conn: &mut DbConnection, tenant: &Tenant, order_id: i64) -> QueryResult<OrderDetails> {
    let org = tenant.organization_id();
    let order = find_order(conn, tenant, order_id)?;
    let event = events::table
        .filter(events::organization_id.eq(org))
        .filter(events::id.eq(order.event_id))
        .select((events::name, events::currency, events::timezone))
        .first(conn)?;
    let tickets = order_tickets(conn, tenant, order_id)?;
    let ticket_ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let scans = scans::table
        .inner_join(gates::table)
        .filter(scans::organization_id.eq(org))
        .filter(scans::event_id.eq(order.event_id))
        .filter(scans::ticket_id.eq_any(&ticket_ids))
        .order(scans::id)
        .limit(500)
        .select((
            scans::ticket_id,
            scans::scanned_at,
            gates::name,
            scans::direction,
            scans::result,
            scans::reason,
        ))
        .load(conn)?;
    let refunds = refunds::table
        .inner_join(users::table)
        .filter(refunds::organization_id.eq(org))
        .filter(refunds::order_id.eq(order_id))
        .order(refunds::id)
        .select((
            refunds::amount,
            users::name,
            refunds::created_at,
            refunds::reason,
            refunds::note,
        ))
        .load(conn)?;
    let emails = email_outbox::table
        .filter(email_outbox::organization_id.eq(org))
        .filter(email_outbox::order_id.eq(order_id))
        .order(email_outbox::id.desc())
        .select((
            email_outbox::subject,
            email_outbox::recipient,
            email_outbox::status,
            email_outbox::attempts,
            email_outbox::last_error,
            email_outbox::created_at,
            email_outbox::sent_at,
        ))
        .load(conn)?;
    let audit = audit_log::table
        .left_join(users::table)
        .filter(audit_log::organization_id.eq(org))
        .filter(audit_log::subject_type.eq(Subject::ORDER_TYPE))
        .filter(audit_log::subject_id.eq(order_id))
        .order(audit_log::id.desc())
        .select((
            audit_log::action,
            users::name.nullable(),
            audit_log::details,
            audit_log::created_at,
        ))
        .load(conn)?;
    Ok(OrderDetails {
        order,
        event,
        tickets,
        scans,
        refunds,
        emails,
        audit,
    })
}

/// Writes an audit entry about an order, naming the user who acted.
pub fn audit_order(
    conn: &mut DbConnection,
    tenant: &Tenant,
    user_id: i64,
    order_id: i64,
    action: Action,
    details: &str,
    at: i64,
) -> QueryResult<()> {
    let entry = Entry {
        action,
        user_id: Some(user_id),
        subject: Subject::Order(order_id),
        details,
    };
    record(conn, tenant, &entry, at)
}
