//! Bulk jobs over HTTP: starting one from the order list (`POST /orders/jobs`), its page
//! (`GET /orders/jobs/{id}`), its live progress (`GET /sse/orders/jobs/{id}`), an
//! export job's CSV (`GET /orders/jobs/{id}/orders.csv`) and cancelling it
//! (`POST /orders/jobs/{id}/cancel`).

use actix_web::http::header;
use actix_web::{web, HttpResponse, Responder};
use actix_web_lab::FromRequest;

use super::form::{self, Fields};
use super::model::{job_channel, permission_for, BulkAction, Job, Progress, Refusal, REFUSALS_SHOWN};
use super::runner::BulkWaker;
use super::scope::{self, Rights};
use super::{cancel, download, queries, views};
use crate::auth::{CsrfForm, CurrentUser, Permission, SessionWatch};
use crate::db::{DbConnection, Pool, Tenant};
use crate::domain::BulkJobId;
use crate::error::{with_db, AppError};
use crate::events::TimeZone;
use crate::htmx::HxRequest;
use crate::live::{channel_frames, frame, render_with, Bus, Hub, Render, Update, UpdateKind};
use crate::orders::list::organization_timezone;
use crate::paths;
use crate::ui::{html, see_other};

/// What the bulk jobs' handlers need (each takes its part).
#[derive(FromRequest)]
pub struct BulkJobServices {
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
    runner: web::Data<BulkWaker>,
    hub: web::Data<Hub>,
    sessions: web::Data<SessionWatch>,
}

/// `POST /orders/jobs`: the job of the form's key (made now, or the one an earlier
/// submit of the same form made), then its page.
pub async fn start_job(
    BulkJobServices { pool, runner, .. }: BulkJobServices,
    hx: HxRequest,
    form: CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm { user, form } = form;
    let request = form::job_request(&form)?;
    user.require(permission_for(request.action))?;
    let request = request.kept_to(&user)?;
    let (tenant, user_id, rights) = (user.tenant(), user.user_id, Rights::of(&user));
    let job_id = with_db(&pool, move |conn| {
        let job = request.resolve(conn, &tenant, user_id, rights)?;
        Ok(queries::create_job(conn, &tenant, &job)?)
    })
    .await?;
    runner.wake();
    let page = paths::order_job(job_id);
    Ok(match hx.0 {
        true => HttpResponse::Ok().insert_header(("HX-Redirect", page)).finish(),
        false => see_other(&page),
    })
}

/// What the job page and each pushed state show, read in one go.
struct JobState {
    job: Job,
    progress: Progress,
    refusals: Vec<Refusal>,
    timezone: TimeZone,
}

/// The tenant's job when `reader` may see it; else `NotFound`, as another organisation's.
fn readable_job(conn: &mut DbConnection, tenant: &Tenant, job_id: i64, reader: &Rights) -> Result<Job, AppError> {
    let job = queries::find_job(conn, tenant, job_id)?;
    scope::require_readable(conn, tenant, &job, reader)?;
    Ok(job)
}

impl JobState {
    /// How far the job is.
    fn of(conn: &mut DbConnection, tenant: &Tenant, job: Job) -> Result<Self, AppError> {
        let progress = queries::progress(conn, &job)?;
        let refusals = match progress.finished {
            true => queries::refusals(conn, tenant, &job, REFUSALS_SHOWN)?,
            false => Vec::new(),
        };
        Ok(Self {
            timezone: organization_timezone(conn, tenant)?,
            job,
            progress,
            refusals,
        })
    }

    fn view(&self, can_download: bool) -> views::JobView<'_> {
        views::JobView {
            job: &self.job,
            progress: &self.progress,
            refusals: &self.refusals,
            can_download,
        }
    }
}

/// `GET /orders/jobs/{id}`: where the job is now, and live from there.
pub async fn show_job(
    pool: web::Data<Pool>,
    user: CurrentUser,
    path: web::Path<BulkJobId>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::ViewOrders)?;
    let (tenant, job_id, reader) = (user.tenant(), path.into_inner().get(), Rights::of(&user));
    let state = with_db(&pool, move |conn| {
        let job = readable_job(conn, &tenant, job_id, &reader)?;
        JobState::of(conn, &tenant, job)
    })
    .await?;
    let view = state.view(user.may(Permission::ExportOrders));
    let can_cancel = !state.progress.finished && cancel::may_cancel(&user, &state.job);
    Ok(html(views::job_page(
        &user.viewer(),
        &view,
        can_cancel,
        &state.timezone,
    )))
}

/// `POST /orders/jobs/{id}/cancel`: the orders the job has not reached are spared; its
/// page (and every open copy, live) says so.
pub async fn cancel_job(
    BulkJobServices { pool, bus, runner, .. }: BulkJobServices,
    path: web::Path<BulkJobId>,
    form: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    let user = form.user;
    user.require(Permission::ViewOrders)?;
    let (tenant, job_id, reader) = (user.tenant(), path.into_inner().get(), Rights::of(&user));
    with_db(&pool, move |conn| {
        let job = readable_job(conn, &tenant, job_id, &reader)?;
        match cancel::may_cancel(&user, &job) {
            true => cancel::cancel(conn, &tenant, &job, user.user_id),
            false => Err(AppError::Forbidden(
                "Only an owner or the job's maker can cancel it.".into(),
            )),
        }
    })
    .await?;
    bus.publish(Update {
        channel: job_channel(&tenant, job_id),
        kind: UpdateKind::BulkJobProgressed,
    });
    runner.wake();
    Ok(see_other(&paths::order_job(job_id)))
}

/// `GET /sse/orders/jobs/{id}`: the job's state, on connect and after each chunk.
pub async fn job_stream(
    BulkJobServices {
        pool, hub, sessions, ..
    }: BulkJobServices,
    user: CurrentUser,
    path: web::Path<BulkJobId>,
) -> Result<impl Responder, AppError> {
    user.require(Permission::ViewOrders)?;
    let (tenant, job_id, reader) = (user.tenant(), path.into_inner().get(), Rights::of(&user));
    with_db(&pool, move |conn| readable_job(conn, &tenant, job_id, &reader)).await?;
    let can_download = user.may(Permission::ExportOrders);
    let view = format!("job-state-{}", if can_download { "owner" } else { "other" });
    let frames = hub.subscribe(
        job_channel(&tenant, job_id),
        &view,
        render_state(&pool, tenant, job_id, can_download),
    );
    let ended = sessions.ended(&user);
    Ok(hub.sse_until(channel_frames(frames), ended))
}

/// The job's state, rendered once per coalesced update for all its open pages.
fn render_state(pool: &Pool, tenant: Tenant, job_id: i64, can_download: bool) -> Render {
    render_with(pool.clone(), move |pool| async move {
        let state = with_db(&pool, move |conn| {
            let job = queries::find_job(conn, &tenant, job_id)?;
            JobState::of(conn, &tenant, job)
        })
        .await?;
        let html = views::job_state(&state.view(can_download)).into_string();
        Ok(frame(views::PROGRESS_SSE_EVENT, html))
    })
}

/// `GET /orders/jobs/{id}/orders.csv`: a finished export job's orders, one row per ticket.
pub async fn job_csv(
    pool: web::Data<Pool>,
    user: CurrentUser,
    path: web::Path<BulkJobId>,
) -> Result<HttpResponse, AppError> {
    // Every valid ticket code is in it: as for `/orders.csv`.
    user.require(Permission::ExportOrders)?;
    let (tenant, job_id, reader) = (user.tenant(), path.into_inner().get(), Rights::of(&user));
    let csv = with_db(&pool, move |conn| {
        let job = readable_job(conn, &tenant, job_id, &reader)?;
        if job.action != BulkAction::Export || job.finished_at.is_none() {
            return Err(AppError::NotFound);
        }
        download::job_csv(conn, &tenant, &job).map_err(AppError::unexpected)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"orders.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv))
}
