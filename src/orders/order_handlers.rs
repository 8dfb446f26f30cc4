//! One order: `GET /orders/{id}`, the refund confirmation (`GET /orders/{id}/refund`),
//! the refund (`POST /orders/{id}/refund`) and the confirmation resend
//! (`POST /orders/{id}/resend-confirmation`).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::outbox::{self, ResendRefused};
use super::refunds::{self, RefundOutcome, RefundRequest, RefundScope};
use super::{details, order_views};
use crate::app::AppState;
use crate::auth::{random_token, CsrfForm, CurrentUser};
use crate::db;
use crate::error::AppError;
use crate::live::{Channel, Update, UpdateKind};
use crate::ui::html;

pub async fn show_order(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
) -> Result<HttpResponse, AppError> {
    let (tenant, order_id) = (user.tenant(), path.into_inner().0);
    let details = db::run(&state.pool, move |conn| {
        Ok(details::order_details(conn, &tenant, order_id)?)
    })
    .await?;
    let actions = order_views::Actions {
        can_refund: user.require_owner().is_ok(),
    };
    Ok(html(order_views::order_page(&user.viewer(), &details, &actions)))
}

/// Form fields as pairs: checkboxes repeat `ticket`.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `scope=all`, or `scope=tickets` with one `ticket=ID` per chosen ticket.
fn refund_scope(fields: &Fields) -> Result<RefundScope, AppError> {
    match field(fields, "scope") {
        Some("all") => Ok(RefundScope::WholeOrder),
        Some("tickets") | None => fields
            .iter()
            .filter(|(k, _)| k == "ticket")
            .map(|(_, v)| v.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map(RefundScope::Tickets)
            .map_err(|_| AppError::bad_request("ticket must be a ticket id")),
        Some(_) => Err(AppError::bad_request("scope must be all or tickets")),
    }
}

/// `GET /orders/{id}/refund`: the confirmation step; changes nothing.
pub async fn review_refund(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64,)>,
    query: web::Query<Fields>,
) -> Result<HttpResponse, AppError> {
    user.require_owner()?;
    let (tenant, order_id) = (user.tenant(), path.into_inner().0);
    let scope = refund_scope(&query)?;
    let whole_order = scope == RefundScope::WholeOrder;
    let (order, currency, plan) = db::run(&state.pool, move |conn| {
        let details = details::order_details(conn, &tenant, order_id)?;
        let plan = refunds::plan_refund(conn, &tenant, order_id, &scope)?;
        Ok((details.order, details.event.currency, plan))
    })
    .await?;
    let plan = plan.map_err(|refused| AppError::bad_request(refused.to_string()))?;
    let key = random_token();
    Ok(html(order_views::refund_confirmation_page(
        &user.viewer(),
        &order_views::Confirmation {
            order_id,
            order_code: &order.code,
            currency: &currency,
            plan: &plan,
            whole_order,
            idempotency_key: &key,
        },
    )))
}

/// `POST /orders/{id}/refund`: refunds once per idempotency key, then shows the order.
pub async fn refund_order(
    state: web::Data<AppState>,
    path: web::Path<(i64,)>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    user.require_owner()?;
    let (tenant, order_id) = (user.tenant(), path.into_inner().0);
    let request = RefundRequest {
        user_id: user.user_id,
        order_id,
        scope: refund_scope(&form)?,
        idempotency_key: idempotency_key(&form)?,
        shown_amount: shown_amount(&form)?,
    };
    let outcome = db::run(&state.pool, move |conn| Ok(refunds::refund(conn, &tenant, &request)?))
        .await?
        .map_err(|refused| AppError::bad_request(refused.to_string()))?;
    if let RefundOutcome::Refunded { event_id, .. } = outcome {
        state.bus.publish(Update {
            channel: Channel::occupancy(&tenant, event_id),
            kind: UpdateKind::OrderChanged,
        });
        state.bus.publish(Update {
            channel: Channel::orders(&tenant),
            kind: UpdateKind::OrderChanged,
        });
    }
    Ok(see_order(order_id))
}

fn idempotency_key(form: &Fields) -> Result<String, AppError> {
    match field(form, "idempotency_key").map(str::trim) {
        Some(key) if !key.is_empty() && key.chars().count() <= refunds::MAX_KEY_CHARS => Ok(key.to_owned()),
        _ => Err(AppError::bad_request(
            "The refund form has no valid idempotency key: open the confirmation step again.",
        )),
    }
}

fn shown_amount(form: &Fields) -> Result<Option<i64>, AppError> {
    let Some(raw) = field(form, "amount").map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(amount) if amount > 0 => Ok(Some(amount)),
        Ok(_) => Err(AppError::bad_request("A refund must be of more than zero.")),
        Err(_) => Err(AppError::bad_request(
            "amount must be a whole number of minor units (cents)",
        )),
    }
}

/// `POST /orders/{id}/resend-confirmation`: queued for the outbox worker.
pub async fn resend_confirmation(
    state: web::Data<AppState>,
    path: web::Path<(i64,)>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let user = form.user;
    let (tenant, order_id, user_id) = (user.tenant(), path.into_inner().0, user.user_id);
    db::run(&state.pool, move |conn| {
        Ok(outbox::queue_confirmation(conn, &tenant, user_id, order_id)?)
    })
    .await?
    .map_err(|refused| match refused {
        ResendRefused::TooSoon(_) | ResendRefused::TooManyByUser(_) => AppError::TooManyRequests(refused.to_string()),
        ResendRefused::NothingToConfirm(_) => AppError::bad_request(refused.to_string()),
    })?;
    state.outbox.wake();
    Ok(see_order(order_id))
}

fn see_order(order_id: i64) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/orders/{order_id}")))
        .finish()
}
