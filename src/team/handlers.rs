//! `GET /team`, `POST /team` (add a user), and per user `POST /team/{id}/role`,
//! `/password`, `/deactivate` and `/reactivate`: owners only.

use actix_web::{web, HttpResponse};
use actix_web_lab::FromRequest;

use super::form::{self, Fields};
use super::members::{self, Acting};
use super::views;
use crate::auth::{hash_password, users, CsrfForm, CurrentUser, Permission};
use crate::db::Pool;
use crate::domain::UserId;
use crate::error::{with_db, AppError};
use crate::live::{Bus, Channel, Update, UpdateKind};
use crate::paths;
use crate::ui::{html, see_other};

/// What the team page's changes need.
#[derive(FromRequest)]
pub struct TeamServices {
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
}

pub async fn show_team(pool: web::Data<Pool>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    user.require(Permission::ManageTeam)?;
    let tenant = user.tenant();
    let (members, events) = with_db(&pool, move |conn| {
        Ok((
            users::list_members(conn, &tenant)?,
            crate::events::event_names(conn, &tenant)?,
        ))
    })
    .await?;
    Ok(html(views::team_page(&user.viewer(), &members, &events)))
}

pub async fn add_member(pool: web::Data<Pool>, form: CsrfForm<Fields>) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    let acting = acting(&user)?;
    let new = form::new_member(&form)?;
    let (password, hash) = fresh_password().await?;
    let member = with_db(&pool, move |conn| {
        let id = members::add(conn, acting, &new, &hash)?;
        Ok(users::find_member(conn, &acting.tenant, id)?)
    })
    .await?;
    Ok(html(views::password_page(&user.viewer(), &member, &password, true)))
}

pub async fn change_member(
    TeamServices { pool, bus }: TeamServices,
    path: web::Path<UserId>,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    let (acting, member) = (acting(&user)?, path.into_inner().get());
    let assignment = form::assignment(&form)?;
    with_db(&pool, move |conn| members::change(conn, acting, member, &assignment)).await?;
    end_streams(&**bus, acting, member);
    Ok(see_other(paths::TEAM))
}

pub async fn deactivate_member(
    TeamServices { pool, bus }: TeamServices,
    path: web::Path<UserId>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    let (acting, member) = (acting(&form.user)?, path.into_inner().get());
    with_db(&pool, move |conn| members::deactivate(conn, acting, member)).await?;
    end_streams(&**bus, acting, member);
    Ok(see_other(paths::TEAM))
}

pub async fn reactivate_member(
    pool: web::Data<Pool>,
    path: web::Path<UserId>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    let (acting, member) = (acting(&form.user)?, path.into_inner().get());
    with_db(&pool, move |conn| members::reactivate(conn, acting, member)).await?;
    Ok(see_other(paths::TEAM))
}

pub async fn set_password(
    TeamServices { pool, bus }: TeamServices,
    path: web::Path<UserId>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    let (acting, member_id) = (acting(&form.user)?, path.into_inner().get());
    let (password, hash) = fresh_password().await?;
    let member = with_db(&pool, move |conn| members::set_password(conn, acting, member_id, &hash)).await?;
    end_streams(&**bus, acting, member_id);
    Ok(html(views::password_page(
        &form.user.viewer(),
        &member,
        &password,
        false,
    )))
}

/// The owner acting, or 403 for anyone else.
fn acting(user: &CurrentUser) -> Result<Acting, AppError> {
    user.require(Permission::ManageTeam)?;
    Ok(Acting {
        tenant: user.tenant(),
        owner_id: user.user_id,
    })
}

/// A new password and its hash (argon2, off the async workers).
async fn fresh_password() -> Result<(String, String), AppError> {
    let password = members::new_password();
    let given = password.clone();
    let hash = web::block(move || hash_password(&given))
        .await
        .map_err(AppError::unexpected)?
        .map_err(AppError::Unexpected)?;
    Ok((password, hash))
}

/// The user's open live streams check their session, find it gone or its rights
/// changed, and close (on every instance: through the bus).
fn end_streams(bus: &dyn Bus, acting: Acting, user_id: i64) {
    bus.publish(Update {
        channel: Channel::sessions(&acting.tenant, user_id),
        kind: UpdateKind::SessionChanged,
    });
}
