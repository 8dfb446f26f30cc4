//! `GET/POST /settings/webhooks`, `GET /settings/webhooks/{id}` and the endpoint's
//! actions (`…/disable`, `…/enable`, `…/delete`, `…/test`): owners only.

use actix_web::{web, HttpResponse};

use super::courier::WebhookWaker;
use super::endpoints::{self, AddedEndpoint, EndpointRequest};
use super::queries;
use super::views;
use crate::auth::{CsrfForm, CurrentUser, Permission};
use crate::config::Settings;
use crate::db::Pool;
use crate::domain::WebhookId;
use crate::error::{with_db, AppError};
use crate::paths;
use crate::ui::{html, see_other};

/// Deliveries an endpoint's log shows.
const LOG_LENGTH: i64 = 100;

pub async fn list_webhooks(pool: web::Data<Pool>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    user.require(Permission::ManageWebhooks)?;
    webhooks_page(&pool, &user, None).await
}

/// The form's fields as sent (`event` repeats, once per ticked box).
type Fields = Vec<(String, String)>;

pub async fn add_webhook(
    pool: web::Data<Pool>,
    settings: web::Data<Settings>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    user.require(Permission::ManageWebhooks)?;
    let request = EndpointRequest {
        url: fields(&form, "url").next().unwrap_or_default(),
        events: fields(&form, "event").collect(),
        created_by: Some(user.user_id),
        allow_private: settings.webhooks.allow_private,
    };
    let added = endpoints::add_endpoint(&pool, user.tenant(), request).await?;
    webhooks_page(&pool, &user, Some(&added)).await
}

/// The values of every field named `name`.
fn fields<'a>(form: &'a Fields, name: &'a str) -> impl Iterator<Item = &'a str> {
    form.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn webhooks_page(
    pool: &Pool,
    user: &CurrentUser,
    added: Option<&AddedEndpoint>,
) -> Result<HttpResponse, AppError> {
    let tenant = user.tenant();
    let list = with_db(pool, move |conn| Ok(queries::list_endpoints(conn, &tenant)?)).await?;
    Ok(html(views::webhooks_page(&user.viewer(), &list, added)))
}

pub async fn show_webhook(
    pool: web::Data<Pool>,
    user: CurrentUser,
    path: web::Path<WebhookId>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::ManageWebhooks)?;
    let (tenant, id) = (user.tenant(), path.into_inner().get());
    let (endpoint, deliveries) = with_db(&pool, move |conn| {
        let endpoint = queries::find_endpoint(conn, &tenant, id)?;
        Ok((endpoint, queries::recent_deliveries(conn, &tenant, id, LOG_LENGTH)?))
    })
    .await?;
    Ok(html(views::webhook_page(&user.viewer(), &endpoint, &deliveries)))
}

pub async fn disable_webhook(
    pool: web::Data<Pool>,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<WebhookId>,
) -> Result<HttpResponse, AppError> {
    switch_webhook(&pool, form, path, false).await
}

pub async fn enable_webhook(
    pool: web::Data<Pool>,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<WebhookId>,
) -> Result<HttpResponse, AppError> {
    switch_webhook(&pool, form, path, true).await
}

pub async fn delete_webhook(
    pool: web::Data<Pool>,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<WebhookId>,
) -> Result<HttpResponse, AppError> {
    form.user.require(Permission::ManageWebhooks)?;
    endpoints::delete_endpoint(&pool, form.user.tenant(), form.user.user_id, path.into_inner().get()).await?;
    Ok(see_other(paths::WEBHOOKS))
}

pub async fn test_webhook(
    pool: web::Data<Pool>,
    waker: web::Data<WebhookWaker>,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<WebhookId>,
) -> Result<HttpResponse, AppError> {
    form.user.require(Permission::ManageWebhooks)?;
    let id = path.into_inner().get();
    endpoints::send_test(&pool, &waker, form.user.tenant(), id).await?;
    Ok(see_other(&paths::webhook(id)))
}

/// Disables or enables one endpoint of the owner's organisation, then shows it.
async fn switch_webhook(
    pool: &Pool,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<WebhookId>,
    enabled: bool,
) -> Result<HttpResponse, AppError> {
    form.user.require(Permission::ManageWebhooks)?;
    let id = path.into_inner().get();
    endpoints::set_enabled(pool, form.user.tenant(), form.user.user_id, id, enabled).await?;
    Ok(see_other(&paths::webhook(id)))
}
