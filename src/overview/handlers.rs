//! `GET /events` (the overview and the event list) and `GET /sse/events/overview`.

use actix_web::{web, HttpResponse, Responder};
use actix_web_lab::FromRequest;

use super::frames::{overview_frames, CardSources};
use super::model::{self, split_live};
use super::views::{self, CardLinks};
use crate::auth::{CurrentUser, Permission, SessionWatch};
use crate::db::{self, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::events::{self, EventSales};
use crate::live::Hub;
use crate::scanning::ScanCounters;
use crate::ui::html;
use crate::zones::ZoneDirectory;

/// What the overview and its stream use.
#[derive(FromRequest)]
pub struct OverviewServices {
    pool: web::Data<Pool>,
    hub: web::Data<Hub>,
    counters: web::Data<dyn ScanCounters>,
    zones: web::Data<ZoneDirectory>,
    sessions: web::Data<SessionWatch>,
}

pub async fn list_events(services: OverviewServices, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let (tenant, now) = (user.tenant(), db::now_ms());
    let (live, others) = split_live(visible_events(&services.pool, &user, tenant).await?, now);
    let counts = (&**services.counters, services.zones.get_ref());
    let rows = model::load_rows(&services.pool, counts, tenant, live, now).await?;
    Ok(html(views::overview_page(
        &user.viewer(),
        &rows,
        &others,
        card_links(&user),
        now,
    )))
}

fn card_links(user: &CurrentUser) -> CardLinks {
    CardLinks {
        dashboard: user.may(Permission::ViewDashboard),
        monitor: user.may(Permission::WatchGates),
    }
}

pub async fn overview_stream(services: OverviewServices, user: CurrentUser) -> Result<impl Responder, AppError> {
    let tenant = user.tenant();
    let (live, _) = split_live(visible_events(&services.pool, &user, tenant).await?, db::now_ms());
    let sources = CardSources {
        hub: services.hub.get_ref().clone(),
        pool: services.pool.get_ref().clone(),
        counters: services.counters.clone().into_inner(),
        zones: services.zones.clone().into_inner(),
        tenant,
    };
    let frames = overview_frames(&sources, live);
    Ok(services.hub.sse_until(frames, services.sessions.ended(&user)))
}

/// The events of the viewer's organisation the viewer may see (supervisors and
/// stewards: those assigned to them).
async fn visible_events(pool: &Pool, user: &CurrentUser, tenant: Tenant) -> Result<Vec<EventSales>, AppError> {
    user.require(Permission::ViewOverview)?;
    let mut events = with_db(pool, move |conn| Ok(events::list_events(conn, &tenant)?)).await?;
    events.retain(|sales| user.may_see_event(sales.event.id));
    Ok(events)
}
