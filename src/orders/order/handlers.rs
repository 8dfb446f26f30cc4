//! One order: `GET /orders/{id}`, the refund confirmation (`GET /orders/{id}/refund`),
//! the refund (`POST /orders/{id}/refund`), the void's confirmation and the void
//! (`GET`/`POST /orders/{id}/void`) and the confirmation resend
//! (`POST /orders/{id}/resend-confirmation`).

use actix_web::{web, HttpResponse};
use actix_web_lab::FromRequest;

use super::form::{self, Fields};
use super::refunds::{self, RefundPlan, RefundScope};
use super::resend::{self, ResendRefused};
use super::void;
use super::{details, views};
use crate::auth::{random_token, CsrfForm, CurrentUser, Permission};
use crate::db::{DbConnection, Pool, Tenant};
use crate::domain::OrderId;
use crate::error::with_db;
use crate::error::AppError;
use crate::live::Bus;
use crate::orders::outbox::OutboxWaker;
use crate::paths;
use crate::ui::{html, see_other};
use diesel::QueryResult;

/// What one order's changes need (each takes its part).
#[derive(FromRequest)]
pub struct OrderServices {
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
    outbox: web::Data<OutboxWaker>,
}

pub async fn show_order(
    pool: web::Data<Pool>,
    user: CurrentUser,
    path: web::Path<OrderId>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::ViewOrders)?;
    let mut details = details::visible_order_details(&pool, &user, path.into_inner().get()).await?;
    details.mask_emails_for(&user);
    let actions = views::Actions {
        can_refund: user.may(Permission::RefundOrders),
    };
    Ok(html(views::order_page(&user.viewer(), &details, &actions)))
}

/// What the confirmation step shows about the order.
struct Review {
    order_code: String,
    currency: String,
    plan: RefundPlan,
}

impl Review {
    /// The order (or `NotFound`) and what refunding `scope` would return (or a 400).
    fn load(conn: &mut DbConnection, tenant: &Tenant, order_id: i64, scope: &RefundScope) -> Result<Self, AppError> {
        let details = details::order_details(conn, tenant, order_id)?;
        let plan = refunds::plan_refund(conn, tenant, order_id, scope)?
            .map_err(|refused| AppError::bad_request(refused.to_string()))?;
        Ok(Self {
            order_code: details.order.code,
            currency: details.event.currency,
            plan,
        })
    }
}

/// `GET /orders/{id}/refund`: the confirmation step; changes nothing.
pub async fn review_refund(
    pool: web::Data<Pool>,
    user: CurrentUser,
    path: web::Path<OrderId>,
    query: web::Query<Fields>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RefundOrders)?;
    let (tenant, order_id) = (user.tenant(), path.into_inner().get());
    let scope = form::refund_scope(&query)?;
    let whole_order = scope == RefundScope::WholeOrder;
    let review = with_db(&pool, move |conn| Review::load(conn, &tenant, order_id, &scope)).await?;
    let confirmation = views::Confirmation {
        order_id,
        order_code: &review.order_code,
        currency: &review.currency,
        plan: &review.plan,
        whole_order,
        idempotency_key: &random_token(),
    };
    Ok(html(views::refund_confirmation_page(&user.viewer(), &confirmation)))
}

/// Runs a change to an order in one transaction: its outcome, or why it was refused.
type RunChange<R, T, E> = fn(&mut DbConnection, &dyn Bus, &Tenant, &R) -> QueryResult<Result<T, E>>;

/// A change posted from an order's confirmation step (a refund, a void): how its
/// request is read from the form, how it runs, and how a refusal is answered.
struct OrderChange<R, T, E> {
    read: fn(&Fields, i64, i64) -> Result<R, AppError>,
    run: RunChange<R, T, E>,
    refused: fn(String) -> AppError,
}

impl<R: Send + 'static, T: Send + 'static, E: std::fmt::Display + Send + 'static> OrderChange<R, T, E> {
    /// Authorised as a refund; on success the order's page shows what changed.
    async fn post(
        &self,
        pool: &Pool,
        bus: web::Data<dyn Bus>,
        order_id: i64,
        form: CsrfForm<Fields>,
    ) -> Result<HttpResponse, AppError> {
        let CsrfForm { user, form } = form;
        user.require(Permission::RefundOrders)?;
        let (tenant, request, run) = (user.tenant(), (self.read)(&form, user.user_id, order_id)?, self.run);
        let outcome = with_db(pool, move |conn| Ok(run(conn, bus.get_ref(), &tenant, &request)?)).await?;
        outcome.map_err(|refused| (self.refused)(refused.to_string()))?;
        Ok(see_order(order_id))
    }
}

/// `POST /orders/{id}/refund`: refunds once per idempotency key, then shows the order.
pub async fn refund_order(
    OrderServices { pool, bus, .. }: OrderServices,
    path: web::Path<OrderId>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let refund = OrderChange {
        read: form::refund_request,
        run: refunds::refund,
        refused: AppError::bad_request,
    };
    refund.post(&pool, bus, path.into_inner().get(), form).await
}

/// `POST /orders/{id}/resend-confirmation`: queued for the outbox worker.
pub async fn resend_confirmation(
    OrderServices { pool, outbox, .. }: OrderServices,
    path: web::Path<OrderId>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let user = form.user;
    user.require(Permission::ResendConfirmation)?;
    let (tenant, order_id, user_id) = (user.tenant(), path.into_inner().get(), user.user_id);
    let scope = user.events().clone();
    with_db(&pool, move |conn| {
        details::require_order_in(conn, &tenant, order_id, &scope)?;
        Ok(resend::queue_confirmation(conn, &tenant, user_id, order_id)?)
    })
    .await?
    .map_err(|refused| match refused {
        ResendRefused::TooSoon(_) | ResendRefused::TooManyByUser(_) => AppError::TooManyRequests(refused.to_string()),
        ResendRefused::NothingToConfirm(_) => AppError::bad_request(refused.to_string()),
    })?;
    outbox.wake();
    Ok(see_order(order_id))
}

/// `GET /orders/{id}/void`: what a void would cancel, with the reason to give; changes
/// nothing. An order with nothing to cancel is a 409.
pub async fn review_void(
    pool: web::Data<Pool>,
    user: CurrentUser,
    path: web::Path<OrderId>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::RefundOrders)?;
    let (tenant, order_id) = (user.tenant(), path.into_inner().get());
    let (details, tickets) = with_db(&pool, move |conn| {
        let tickets = void::plan_void(conn, &tenant, order_id)?.map_err(|r| AppError::Conflict(r.to_string()))?;
        Ok((details::order_details(conn, &tenant, order_id)?, tickets))
    })
    .await?;
    Ok(html(views::void_confirmation_page(&user.viewer(), &details, &tickets)))
}

/// `POST /orders/{id}/void`: cancels the order's valid tickets without refunding, then
/// shows the order; an order already cancelled or wholly refunded is a 409.
pub async fn void_order(
    OrderServices { pool, bus, .. }: OrderServices,
    path: web::Path<OrderId>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let void = OrderChange {
        read: form::void_request,
        run: void::void,
        refused: AppError::Conflict,
    };
    void.post(&pool, bus, path.into_inner().get(), form).await
}

fn see_order(order_id: i64) -> HttpResponse {
    see_other(&paths::order(order_id))
}
