//! The overview's live stream: for each live event its card's numbers, rendered once per
//! coalesced update for every viewer of the organisation (hub views on the event's
//! occupancy channel, which scans and sales move, and its alerts channel), and sent to
//! each client only when its bytes changed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::ready;
use futures_util::{stream, Stream, StreamExt};
use tokio_stream::wrappers::WatchStream;

use super::model::{self, LiveRow};
use super::views;
use crate::db::{self, Pool, Tenant};
use crate::events::Event;
use crate::live::{frame_of_parts, render_with, Channel, Frame, Hub, Render};
use crate::scanning::ScanCounters;
use crate::zones::{pushed_gauges, ZoneDirectory};

/// The hub view of a card's numbers: one render for every viewer of the organisation.
const VIEW: &str = "overview-card";
/// Scans per minute fall as time passes without scans: a card is redrawn at least this
/// often (unchanged bytes are not sent).
const REDRAW_EVERY: Duration = Duration::from_secs(10);

/// What the cards are rendered from.
#[derive(Clone)]
pub struct CardSources {
    pub hub: Hub,
    pub pool: Pool,
    pub counters: Arc<dyn ScanCounters>,
    pub zones: Arc<ZoneDirectory>,
    pub tenant: Tenant,
}

/// Every card's frames, each the changes since the last one this client got for that
/// event. Open while the client is (also with no live event).
pub fn overview_frames(sources: &CardSources, events: Vec<Event>) -> impl Stream<Item = Frame> {
    let tenant = sources.tenant;
    let cards = events.into_iter().map(|event| {
        let id = event.id;
        let render = render_card(sources, event);
        let (hub, view) = (&sources.hub, VIEW);
        let moved = hub.subscribe_with_clock(
            Channel::occupancy(&tenant, id),
            view,
            render.clone(),
            Some(REDRAW_EVERY),
        );
        let alerted = hub.subscribe(Channel::alerts(&tenant, id), view, render);
        stream::select(WatchStream::new(moved), WatchStream::new(alerted))
            .filter_map(ready)
            .map(move |frame| (id, frame))
    });
    stream::select_all(cards)
        .scan(HashMap::<i64, Frame>::new(), |sent, (id, frame)| {
            let message = match sent.get(&id) {
                Some(previous) => frame.changes_since(previous),
                None => Some(frame.clone()),
            };
            sent.insert(id, frame);
            ready(Some(message))
        })
        .filter_map(ready)
        .chain(stream::pending())
}

/// One event's card numbers, its live-region line and each zone's gauge, as parts (each
/// sent only when it changes).
fn render_card(sources: &CardSources, event: Event) -> Render {
    let context = (
        sources.pool.clone(),
        (sources.counters.clone(), sources.zones.clone()),
        sources.tenant,
        Arc::new(event),
    );
    render_with(context, |(pool, (counters, zones), tenant, event)| async move {
        let counts = (counters.as_ref(), zones.as_ref());
        let rows = model::load_rows(&pool, counts, tenant, vec![(*event).clone()], db::now_ms()).await?;
        let parts = rows
            .iter()
            .flat_map(|row: &LiveRow| {
                let card = [views::card_numbers(row, true), views::announcement(row, true)].map(|m| m.into_string());
                // Each zone's gauge a part of its own: a scan sends the ones it moved.
                card.into_iter().chain(pushed_gauges(&row.zones, &row.event.timezone))
            })
            .map(Into::into)
            .collect();
        Ok(frame_of_parts(views::ROW_SSE_EVENT, parts))
    })
}
