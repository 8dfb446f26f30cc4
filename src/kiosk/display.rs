//! The kiosk display's live side: the link a token opens, the numbers and gate alerts
//! it shows, and its stream, which follows the event's scans and ends, with a notice, the moment its link
//! is revoked.

use std::sync::Arc;

use futures_util::{stream, Stream, StreamExt};

use super::queries::{self, ActiveLink};
use super::views::{self, KioskNumbers};
use crate::auth::token_hash;
use crate::db::Pool;
use crate::error::with_db;
use crate::error::AppError;
use crate::events::{load_event, Event};
use crate::gate_alerts::{self, AlertScope, AlertsView};
use crate::live::{channel_frames, frame, frame_of_parts, render_with, Channel, Frame, Hub, Render};
use crate::scanning::{self, ScanCounters};
use crate::zones::ZoneDirectory;

const LINK_STATE: &str = "link-state";

/// An open link: what it opens and the gate it shows, if one.
pub struct OpenLink {
    pub link: ActiveLink,
    pub event: Event,
    pub gate_name: Option<String>,
}

/// The link a kiosk token opens; a revoked or unknown token is a page that does not exist.
pub async fn open_link(pool: &Pool, token: &str) -> Result<OpenLink, AppError> {
    let hash = token_hash(token);
    let link = with_db(pool, move |conn| Ok(queries::find_active_link(conn, &hash)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let event = load_event(pool, link.tenant, link.event_id).await?;
    let gate_name = match link.gate_id {
        None => None,
        Some(gate_id) => {
            let (tenant, event_id) = (link.tenant, link.event_id);
            let gates = with_db(pool, move |conn| Ok(scanning::event_gates(conn, &tenant, event_id)?)).await?;
            gates.into_iter().find(|g| g.id == gate_id).map(|g| g.name)
        }
    };
    Ok(OpenLink { link, event, gate_name })
}

/// The display as it stands now, drawn by `draw` (the page's markup, or a push's parts).
pub async fn display<T>(
    zones: &ZoneDirectory,
    counters: &dyn ScanCounters,
    open: &OpenLink,
    draw: fn(&KioskNumbers) -> T,
) -> Result<T, AppError> {
    let link = &open.link;
    let occupancy = scanning::occupancy(counters, &link.tenant, link.event_id, link.gate_id).await?;
    let zones = zones
        .board(link.tenant, link.event_id, &occupancy.zones, occupancy.inside)
        .await?;
    let numbers = KioskNumbers {
        event: &open.event,
        occupancy,
        zones,
        gate_name: open.gate_name.as_deref(),
    };
    Ok(draw(&numbers))
}

/// Which alerts the kiosk shows: its gate's, or the whole event's.
pub fn alert_scope(open: &OpenLink) -> AlertScope {
    AlertScope {
        tenant: open.link.tenant,
        event_id: open.link.event_id,
        timezone: *open.event.timezone,
        gate_id: open.link.gate_id,
    }
}

/// The alert lines as they stand now.
pub async fn alert_lines(pool: &Pool, open: &OpenLink) -> Result<maud::Markup, AppError> {
    let scope = alert_scope(open);
    let alerts = gate_alerts::load_alerts(pool, scope).await?;
    Ok(gate_alerts::kiosk_alerts(&AlertsView {
        alerts: &alerts,
        timezone: &scope.timezone,
        now: crate::db::now_ms(),
        can_acknowledge: false,
    }))
}

/// The display redrawn on every (coalesced) scan of the event, until its link is revoked
/// or no longer usable (its event long over, its creator gone or without the right to
/// it: read again every `check_every`).
pub fn display_stream(
    hub: &Hub,
    pool: &Pool,
    (counters, zones): (Arc<dyn ScanCounters>, Arc<ZoneDirectory>),
    open: OpenLink,
    check_every: std::time::Duration,
) -> impl Stream<Item = Frame> + 'static {
    let link = open.link;
    let alerts = gate_alerts::kiosk_alert_frames(hub, pool, alert_scope(&open));
    let view = format!("kiosk-gate-{}", link.gate_id.unwrap_or(0));
    let render = render_with(
        (zones, counters, Arc::new(open)),
        |(zones, counters, open)| async move {
            let parts = display(&zones, counters.as_ref(), &open, views::kiosk_parts).await?;
            Ok(frame_of_parts(
                views::KIOSK_SSE_EVENT,
                parts.into_iter().map(Into::into).collect(),
            ))
        },
    );
    let frames = hub.subscribe(Channel::scans(&link.tenant, link.event_id), &view, render);
    let notice = frame(views::KIOSK_SSE_EVENT, views::revoked_display().into_string());
    // The link's channel carries only its revocation, routed once per update by the hub
    // (not by every open kiosk); its view is the link's state, read again on each update.
    let revoked = revocation(hub.subscribe_with_clock(
        super::links::link_channel(&link.tenant, link.link_id),
        "revocation",
        link_state(pool, link),
        Some(check_every),
    ));
    stream::select(channel_frames(frames), alerts)
        .take_until(revoked)
        .chain(stream::once(async move { notice }))
}

/// The link's state as its view: `active` or `revoked`.
fn link_state(pool: &Pool, link: ActiveLink) -> Render {
    render_with(pool.clone(), move |pool| async move {
        let revoked = !with_db(&pool, move |conn| {
            Ok(queries::is_usable(conn, &link.tenant, link.link_id)?)
        })
        .await?;
        Ok(frame(LINK_STATE, if revoked { "revoked" } else { "active" }))
    })
}

/// Resolves when the link's view says it is revoked.
async fn revocation(mut link: tokio::sync::watch::Receiver<Option<Frame>>) {
    let revoked = Some(frame(LINK_STATE, "revoked"));
    while *link.borrow_and_update() != revoked {
        if link.changed().await.is_err() {
            return;
        }
    }
}
