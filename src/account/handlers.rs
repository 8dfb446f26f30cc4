//! `GET /account/two-factor`, `POST /account/two-factor` (confirm the enrolment) and
//! `POST /account/two-factor/disable`: the signed-in user's own, any role. The first
//! two also serve a user who owes enrolment; nothing else does.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::enrolment::{self, Confirmation};
use super::views::{self, Policy};
use crate::auth::{CsrfForm, CurrentUser, Enrolling, EnrolmentForm};
use crate::db::Pool;
use crate::error::{with_db, AppError};
use crate::ui::{html, see_other};
use crate::{client, paths};

pub async fn show_two_factor(pool: web::Data<Pool>, user: Enrolling) -> Result<HttpResponse, AppError> {
    let Enrolling(user) = user;
    let reader = user.clone();
    let page = with_db(&pool, move |conn| enrolment::page(conn, &reader)).await?;
    Ok(html(views::two_factor_page(
        &user.viewer(),
        &page,
        &policy(&user),
        None,
    )))
}

#[derive(Deserialize)]
pub struct CodeField {
    code: String,
}

pub async fn confirm_two_factor(
    req: HttpRequest,
    pool: web::Data<Pool>,
    form: EnrolmentForm<CodeField>,
) -> Result<HttpResponse, AppError> {
    let EnrolmentForm { user, form } = form;
    let (acting, address) = (user.clone(), client::address_text(&req));
    let outcome = with_db(&pool, move |conn| {
        enrolment::confirm(conn, &acting, address, &form.code)
    })
    .await?;
    let viewer = user.viewer();
    Ok(match outcome {
        Confirmation::Enrolled(codes) => html(views::recovery_codes_page(&viewer, &codes)),
        Confirmation::Refused(status, why, page) => {
            let mut response = html(views::two_factor_page(&viewer, &page, &policy(&user), Some(&why)));
            *response.status_mut() = status;
            response
        }
    })
}

pub async fn disable_two_factor(
    req: HttpRequest,
    pool: web::Data<Pool>,
    form: CsrfForm<CodeField>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    let address = client::address_text(&req);
    with_db(&pool, move |conn| enrolment::disable(conn, &user, address, &form.code)).await?;
    Ok(see_other(paths::TWO_FACTOR))
}

fn policy(user: &CurrentUser) -> Policy {
    Policy {
        required: user.two_factor_required(),
    }
}
