//! The zones page: the gauges, a headcount form per zone (supervisors and owners), and
//! for owners each zone's settings, a new zone, the gates' passages and the mismatch rule.

use std::collections::HashMap;

use maud::{html, Markup};

use super::gauges::{board_of, zone_gauges, ZoneBoard};
use super::model::{EventZones, GatePassage, Zone};
use super::queries;
use crate::auth::{CurrentUser, Permission};
use crate::db::{Pool, Tenant};
use crate::domain::{WhenFull, ZoneMismatch};
use crate::error::{with_db, AppError};
use crate::events::{load_event, Event};
use crate::paths;
use crate::scanning::ScanCounters;
use crate::ui::components::{count, event_links};
use crate::ui::layout;

/// Everything the page shows.
pub struct ZonesPage {
    pub event: Event,
    pub zones: Vec<Zone>,
    pub gates: Vec<GatePassage>,
    pub ticket_types: Vec<(i64, String)>,
    pub mismatch: ZoneMismatch,
    pub board: ZoneBoard,
    /// Each zoned gate's passage in words, by gate id.
    pub passages: HashMap<i64, String>,
}

impl ZonesPage {
    pub async fn load(
        pool: &Pool,
        counters: &dyn ScanCounters,
        tenant: Tenant,
        event_id: i64,
    ) -> Result<Self, AppError> {
        let event = load_event(pool, tenant, event_id).await?;
        let counts = counters.event_counts(&tenant, event_id, crate::db::now_ms()).await?;
        let (zones, marks, gates, ticket_types, mismatch) = with_db(pool, move |conn| {
            Ok((
                queries::zones_of_event(conn, &tenant, event_id)?,
                queries::correction_marks(conn, &tenant, event_id)?,
                queries::passages(conn, &tenant, event_id)?,
                queries::ticket_type_names(conn, &tenant, event_id)?,
                queries::zone_mismatch(conn, &tenant, event_id)?,
            ))
        })
        .await?;
        let of_event = EventZones::of(zones.clone(), marks, &gates);
        Ok(Self {
            event,
            board: board_of(&of_event, &counts.zones, counts.occupancy),
            passages: of_event.passages,
            zones,
            gates,
            ticket_types,
            mismatch,
        })
    }
}

pub fn zones_page(user: &CurrentUser, page: &ZonesPage) -> Markup {
    let (viewer, event) = (user.viewer(), &page.event);
    let owner = user.may(Permission::ManageZones);
    let counts = user.may(Permission::CorrectHeadcount);
    layout::page(
        &format!("Zones · {}", event.name),
        Some(&viewer),
        html! {
            h1 { "Zones" }
            p.muted { (event.name) }
            (event_links(&[("Dashboard", paths::event_dashboard(event.id)), ("Scan monitor", paths::scan_monitor(event.id))]))
            @if page.zones.is_empty() { p { "This event has no zones: everyone inside is counted in the event as a whole." } }
            (zone_gauges(&page.board, &event.timezone))
            @for zone in &page.zones {
                section.card aria-labelledby={ "zone-" (zone.id) } {
                    h2 id={ "zone-" (zone.id) } { (zone.name) }
                    p { (count(zone.inside + zone.correction)) " of " (count(zone.capacity)) " · when full: " (zone.when_full.label())
                        " · " (types_text(&zone.types, &page.ticket_types)) }
                    @if counts { (headcount_form(viewer.csrf_token, event.id, zone)) }
                    @if owner { details { summary { "Change " (zone.name) } (zone_form(viewer.csrf_token, &paths::zone(event.id, zone.id), Some(zone), &page.ticket_types)) } }
                }
            }
            @if owner {
                section.card aria-labelledby="new-zone" {
                    h2 #new-zone { "Add a zone" }
                    (zone_form(viewer.csrf_token, &paths::zones(event.id), None, &page.ticket_types))
                }
                (passages(viewer.csrf_token, page))
                (mismatch_form(viewer.csrf_token, event.id, page.mismatch))
            }
        },
    )
}

fn types_text(types: &[i64], names: &[(i64, String)]) -> String {
    match types {
        [] => "every ticket type".into(),
        _ => names
            .iter()
            .filter(|(id, _)| types.contains(id))
            .map(|(_, name)| name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn headcount_form(csrf: &str, event_id: i64, zone: &Zone) -> Markup {
    html! {
        form.inline method="post" action=(paths::zone_headcount(event_id, zone.id)) {
            input type="hidden" name="csrf_token" value=(csrf);
            label { "Counted in " (zone.name) " " input type="number" name="counted" min="0" inputmode="numeric" required; }
            button type="submit" { "Correct the count" }
        }
    }
}

fn zone_form(csrf: &str, action: &str, zone: Option<&Zone>, types: &[(i64, String)]) -> Markup {
    html! {
        form.stack method="post" action=(action) {
            input type="hidden" name="csrf_token" value=(csrf);
            label { "Name " input type="text" name="name" maxlength="60" required value=[zone.map(|z| &z.name)]; }
            label { "Capacity " input type="number" name="capacity" min="1" required value=[zone.map(|z| z.capacity)]; }
            label { "When full "
                select name="when_full" {
                    @for rule in WhenFull::ALL { option value=(rule.as_stored()) selected[zone.is_some_and(|z| z.when_full == rule)] { (rule.label()) } }
                }
            }
            fieldset { legend { "Ticket types let in (none ticked: every type)" }
                @for (id, name) in types {
                    label.choice { input type="checkbox" name={ "type_" (id) } checked[zone.is_some_and(|z| z.types.contains(id))]; " " (name) }
                }
            }
            button type="submit" { @if zone.is_some() { "Save zone" } @else { "Add zone" } }
        }
    }
}

fn passages(csrf: &str, page: &ZonesPage) -> Markup {
    html! {
        section.card aria-labelledby="passages" {
            h2 #passages { "Gates and passages" }
            p.muted { "An entry scan walks a gate's passage forwards, an exit scan backwards. A gate that names no zones lets people in and out of the event as a whole." }
            @if page.gates.is_empty() { p { "No gates yet: they appear when a device or kiosk link names one." } }
            @for gate in &page.gates {
                form.inline method="post" action=(paths::gate_passage(page.event.id, gate.gate_id)) {
                    input type="hidden" name="csrf_token" value=(csrf);
                    strong { (gate.name) } " · now "
                    (page.passages.get(&gate.gate_id).map_or("no zones", String::as_str))
                    label { " From " select name="from" {
                        option value="outside" { "outside" }
                        @for zone in &page.zones { option value=(zone.id) selected[gate.from == Some(zone.id)] { (zone.name) } }
                    } }
                    label { " to " select name="to" {
                        option value="" { "no zones" }
                        @for zone in &page.zones { option value=(zone.id) selected[gate.to == Some(zone.id)] { (zone.name) } }
                    } }
                    button type="submit" { "Set passage" }
                }
            }
        }
    }
}

fn mismatch_form(csrf: &str, event_id: i64, current: ZoneMismatch) -> Markup {
    html! {
        section.card aria-labelledby="mismatch" {
            h2 #mismatch { "A scan from a zone the person is not in" }
            form.inline method="post" action=(paths::zone_mismatch(event_id)) {
                input type="hidden" name="csrf_token" value=(csrf);
                label { "Then " select name="rule" {
                    @for rule in ZoneMismatch::ALL { option value=(rule.as_stored()) selected[rule == current] { (rule.label()) } }
                } }
                button type="submit" { "Save" }
            }
        }
    }
}
