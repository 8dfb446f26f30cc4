//! The zones' gauges the live screens show (dashboard, scan monitor, kiosk, events
//! overview): each zone's people from the live counters, its capacity, and its last
//! headcount's mark, read from the pages' pool with the screen's frame. A zone at 90 %
//! says "Nearly full", at 100 % "Full", in words beside the meter.

use std::collections::HashMap;

use maud::{html, Markup};

use super::model::ZoneGauge;
use super::queries;
use crate::db::{Pool, Tenant};
use crate::domain::TimeZone;
use crate::error::{with_db, AppError};
use crate::events;
use crate::ui::components::{count, local_time};

/// An event's zones as a screen shows them; empty for an event without zones.
#[derive(Clone, Debug, Default)]
pub struct ZoneBoard {
    pub gauges: Vec<ZoneGauge>,
    /// People inside in no zone (through gates that name none).
    pub unzoned: i64,
    pub timezone: Option<TimeZone>,
}

/// The event's zones with the counters' numbers (`people`: each zone's, corrections
/// included; `inside`: the event's).
pub async fn load_board(
    pool: &Pool,
    tenant: Tenant,
    event_id: i64,
    people: &HashMap<i64, i64>,
    inside: i64,
) -> Result<ZoneBoard, AppError> {
    let (zones, marks, timezone) = with_db(pool, move |conn| {
        let zones = queries::zones_of_event(conn, &tenant, event_id)?;
        if zones.is_empty() {
            return Ok((zones, HashMap::new(), None));
        }
        let marks = queries::correction_marks(conn, &tenant, event_id)?;
        Ok((
            zones,
            marks,
            Some(events::queries::find_event(conn, &tenant, event_id)?.timezone),
        ))
    })
    .await?;
    let mut marks = marks;
    let gauges: Vec<ZoneGauge> = zones
        .into_iter()
        .map(|zone| ZoneGauge {
            id: zone.id,
            people: people.get(&zone.id).copied().unwrap_or_default(),
            mark: marks.remove(&zone.id),
            name: zone.name,
            capacity: zone.capacity,
        })
        .collect();
    let unzoned = inside - gauges.iter().map(|gauge| gauge.people).sum::<i64>();
    Ok(ZoneBoard {
        gauges,
        unzoned,
        timezone,
    })
}

/// "Nearly full" from 90 %, "Full" at capacity.
pub fn alert_level(gauge: &ZoneGauge) -> Option<&'static str> {
    match gauge.percent() {
        p if p >= 100 => Some("Full"),
        p if p >= 90 => Some("Nearly full"),
        _ => None,
    }
}

/// The gauges: a list of zones, each with its number and a meter (the number says in
/// text what the meter shows), its alert and its headcount mark.
pub fn zone_gauges(board: &ZoneBoard) -> Markup {
    if board.gauges.is_empty() {
        return html! {};
    }
    let zone = board.timezone.unwrap_or(TimeZone::UTC);
    html! {
        ul.zones aria-label="People per zone" {
            @for gauge in &board.gauges {
                li data-zone=(gauge.id) {
                    b { (gauge.name) } " "
                    meter min="0" max=(gauge.capacity) high=(gauge.capacity * 9 / 10) value=(gauge.people.max(0)) aria-hidden="true" {}
                    " " (count(gauge.people)) " of " (count(gauge.capacity))
                    @if let Some(level) = alert_level(gauge) { " " strong.zfull { (level) } }
                    @if let Some(mark) = &gauge.mark {
                        br; small { "corrected at " (local_time(mark.at, &zone, "%H:%M")) " by " (mark.by) " (" (signed(mark.drift)) ")" }
                    }
                }
            }
            @if board.unzoned != 0 { li { b { "In no zone" } " " (count(board.unzoned)) } }
        }
    }
}

/// −37 / +12, with a true minus sign.
fn signed(n: i64) -> String {
    match n {
        n if n < 0 => format!("−{}", count(-n)),
        n => format!("+{}", count(n)),
    }
}
