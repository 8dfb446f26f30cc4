//! `GET /events/{id}` (the dashboard) and `GET /sse/events/{id}/occupancy` (its updates).

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse, Responder};
use actix_web_lab::FromRequest;

use super::views::{self, Dashboard};
use super::MetricsCache;
use crate::arrivals::{arrivals_fragments, ArrivalsCache, Shown as ArrivalsShown};
use crate::auth::{CurrentUser, Permission, SessionWatch};
use crate::db::{self, Pool, Tenant};
use crate::domain::EventId;
use crate::error::AppError;
use crate::events::{load_event, Event};
use crate::live::{channel_frames, frame_of_parts, render_with, Channel, Hub, Render};
use crate::ui::html;

/// How often an open dashboard is redrawn when nothing happens (the metrics cache lives
/// as long, so each redraw then recomputes).
const REDRAW_EVERY: Duration = Duration::from_secs(30);

/// The page from what is kept: each panel loads on its own, and one that cannot says so.
pub async fn show_dashboard(
    services: DashboardServices,
    user: CurrentUser,
    path: web::Path<EventId>,
) -> Result<HttpResponse, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().get());
    user.require_on_event(Permission::ViewDashboard, event_id)?;
    let event = load_event(&services.pool, tenant, event_id).await?;
    let (metrics, arrivals) = tokio::join!(
        services.metrics.panel(tenant, &event),
        services.arrivals.page_panel(tenant, &event)
    );
    let dashboard = metrics.ready().map(|metrics| Dashboard {
        event: &event,
        metrics,
        now: db::now_ms(),
    });
    let page = views::DashboardPage {
        event: &event,
        dashboard: dashboard.as_ref(),
        arrivals: ArrivalsShown::of(&arrivals),
    };
    Ok(html(views::dashboard_page(&user.viewer(), &page)))
}

pub async fn dashboard_stream(
    services: DashboardServices,
    user: CurrentUser,
    path: web::Path<EventId>,
) -> Result<impl Responder, AppError> {
    let (tenant, event_id) = (user.tenant(), path.into_inner().get());
    user.require_on_event(Permission::ViewDashboard, event_id)?;
    let event = load_event(&services.pool, tenant, event_id).await?;
    let hub = &services.hub;
    let arrivals = services.arrivals.clone().into_inner();
    // Velocity, the charts and the forecast move with the clock too, not only with sales.
    let redraw_every = REDRAW_EVERY.min(arrivals.every());
    let frames = hub.subscribe_with_clock(
        Channel::occupancy(&tenant, event_id),
        "dashboard",
        render_dashboard(services.metrics.clone().into_inner(), arrivals, tenant, event),
        Some(redraw_every),
    );
    let ended = services.sessions.ended(&user);
    Ok(hub.sse_until(channel_frames(frames), ended))
}

/// What the dashboard's page and live stream need (each takes its part).
#[derive(FromRequest)]
pub struct DashboardServices {
    pool: web::Data<Pool>,
    hub: web::Data<Hub>,
    metrics: web::Data<MetricsCache>,
    arrivals: web::Data<ArrivalsCache>,
    sessions: web::Data<SessionWatch>,
}

/// Every live part of the dashboard, rendered once per coalesced update for everyone;
/// each client is sent only the parts that changed for it.
fn render_dashboard(metrics: Arc<MetricsCache>, arrivals: Arc<ArrivalsCache>, tenant: Tenant, event: Event) -> Render {
    render_with(
        (metrics, arrivals, Arc::new(event)),
        move |(metrics, arrivals, event)| async move {
            // Arrivals at most `arrivals_every` old: their parts change that often at most.
            let (metrics, arrivals) = tokio::join!(metrics.panel(tenant, &event), arrivals.live_panel(tenant, &event));
            let dashboard = metrics.ready().map(|metrics| Dashboard {
                event: &event,
                metrics,
                now: db::now_ms(),
            });
            let mut parts = views::dashboard_parts(dashboard.as_ref());
            parts.extend(arrivals_fragments(ArrivalsShown::live(&arrivals), &event.timezone));
            let parts = parts.into_iter().map(Into::into).collect();
            Ok(frame_of_parts(views::DASHBOARD_SSE_EVENT, parts))
        },
    )
}
