//! Managing endpoints: adding one (URL and events checked, the host resolved and
//! refused when it is not public, a new secret), disabling, enabling, deleting, and
//! queueing a test delivery, each change audited in its transaction. The settings page and `voelgoed admin create-webhook`
//! both add through `add_endpoint`.

use diesel::prelude::*;
use serde_json::json;

use super::courier::WebhookWaker;
use super::model::{EventKind, EventSet};
use super::queries::{self, NewEndpoint};
use super::signing::new_secret;
use super::target::WebhookUrl;
use crate::audit::{self, Action, Entry, Subject};
use crate::db::schema::organizations;
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::error::{with_db, AppError};

/// An endpoint to add, as asked for.
pub struct EndpointRequest<'a> {
    pub url: &'a str,
    pub events: Vec<&'a str>,
    /// The owner adding it; None from the command line.
    pub created_by: Option<i64>,
    /// `--webhooks-allow-private`: private and loopback targets are allowed.
    pub allow_private: bool,
}

/// A new endpoint: its id and its signing secret (shown once).
pub struct AddedEndpoint {
    pub id: i64,
    pub secret: String,
}

/// Checks and adds an endpoint; bad input is a 400 naming the problem.
pub async fn add_endpoint(
    pool: &Pool,
    tenant: Tenant,
    request: EndpointRequest<'_>,
) -> Result<AddedEndpoint, AppError> {
    let url = WebhookUrl::parse(request.url).map_err(AppError::BadRequest)?;
    let events = EventSet::parse(request.events).map_err(AppError::BadRequest)?;
    url.resolve(request.allow_private)
        .await
        .map_err(|refusal| AppError::bad_request(refusal.message()))?;
    let secret = new_secret();
    let (stored_secret, created_by) = (secret.clone(), request.created_by);
    let id = with_db(pool, move |conn| {
        let new = NewEndpoint {
            url: url.as_str(),
            events: &events,
            secret: &stored_secret,
            created_by,
            now: db::now_ms(),
        };
        Ok(db::write_transaction(conn, |conn| {
            let id = queries::create_endpoint(conn, &tenant, &new)?;
            let details = format!("{} for {}", new.url, new.events.to_stored());
            audit_webhook(conn, &tenant, Action::WebhookCreated, created_by, id, &details, new.now)?;
            Ok(id)
        })?)
    })
    .await?;
    Ok(AddedEndpoint { id, secret })
}

/// `voelgoed admin create-webhook`: adds an endpoint to organisation `org` for
/// `events` (none: every event); prints its signing secret.
pub async fn create_webhook_command(
    pool: &Pool,
    org: i64,
    url: &str,
    events: &[String],
    allow_private: bool,
) -> anyhow::Result<String> {
    let exists = with_db(pool, move |conn| {
        Ok(organizations::table.find(org).count().get_result::<i64>(conn)? == 1)
    })
    .await?;
    anyhow::ensure!(exists, "there is no organisation {org}");
    let events: Vec<&str> = match events.is_empty() {
        true => EventKind::SUBSCRIBABLE.iter().map(EventKind::as_str).collect(),
        false => events.iter().map(String::as_str).collect(),
    };
    let request = EndpointRequest {
        url,
        events,
        created_by: None,
        allow_private,
    };
    let added = add_endpoint(pool, Tenant::authenticated(org), request)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(added.secret)
}

/// Disables or enables one of the tenant's endpoints (a disabled one is queued
/// nothing, and what was queued for it is not sent).
pub async fn set_enabled(pool: &Pool, tenant: Tenant, user_id: i64, id: i64, enabled: bool) -> Result<(), AppError> {
    let now = db::now_ms();
    let action = if enabled {
        Action::WebhookEnabled
    } else {
        Action::WebhookDisabled
    };
    let changed = with_db(pool, move |conn| {
        Ok(db::write_transaction(conn, |conn| {
            let changed = queries::set_disabled(conn, &tenant, id, (!enabled).then_some(now))?;
            if changed {
                audit_webhook(conn, &tenant, action, Some(user_id), id, "", now)?;
            }
            Ok(changed)
        })?)
    })
    .await?;
    changed.then_some(()).ok_or(AppError::NotFound)
}

/// Deletes one of the tenant's endpoints with its deliveries.
pub async fn delete_endpoint(pool: &Pool, tenant: Tenant, user_id: i64, id: i64) -> Result<(), AppError> {
    let deleted = with_db(pool, move |conn| {
        Ok(db::write_transaction(conn, |conn| {
            let url = queries::find_endpoint(conn, &tenant, id).map(|e| e.url);
            let deleted = queries::delete_endpoint(conn, &tenant, id)?;
            if deleted {
                let url = url.unwrap_or_default();
                audit_webhook(
                    conn,
                    &tenant,
                    Action::WebhookDeleted,
                    Some(user_id),
                    id,
                    &url,
                    db::now_ms(),
                )?;
            }
            Ok(deleted)
        })?)
    })
    .await?;
    deleted.then_some(()).ok_or(AppError::NotFound)
}

/// The audit entry of a change to an endpoint (`user_id` None: the command line).
fn audit_webhook(
    conn: &mut DbConnection,
    tenant: &Tenant,
    action: Action,
    user_id: Option<i64>,
    id: i64,
    details: &str,
    now: i64,
) -> diesel::QueryResult<()> {
    let entry = Entry {
        action,
        user_id,
        subject: Subject::Webhook(id),
        details,
    };
    audit::record(conn, tenant, &entry, now)
}

/// Queues a `webhook.test` delivery to one of the tenant's endpoints and wakes the worker.
pub async fn send_test(pool: &Pool, waker: &WebhookWaker, tenant: Tenant, id: i64) -> Result<(), AppError> {
    with_db(pool, move |conn| {
        let endpoint = queries::find_endpoint(conn, &tenant, id)?;
        let data = json!({ "endpoint_id": endpoint.id, "message": "A test delivery from the Voelgoed console." });
        Ok(queries::enqueue_for(
            conn,
            &tenant,
            id,
            EventKind::Test,
            &data,
            db::now_ms(),
        )?)
    })
    .await?;
    waker.wake();
    Ok(())
}
