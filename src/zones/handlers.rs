//! `GET/POST /events/{id}/zones`, `POST /events/{id}/zones/{zone}`,
//! `POST /events/{id}/zones/{zone}/headcount`, `POST /events/{id}/gates/{gate}/passage`
//! and `POST /events/{id}/zone-mismatch`.

use actix_web::{web, HttpResponse};
use actix_web_lab::FromRequest;
use serde::Deserialize;

use super::model::{people, ZoneSettings};
use super::views::ZonesPage;
use super::{headcount, setup, views};
use crate::auth::{CsrfForm, CurrentUser, Permission};
use crate::db::{Pool, Tenant};
use crate::domain::{EventId, GateId, ZoneId};
use crate::error::{with_db, AppError};
use crate::events::load_event;
use crate::live::{Bus, Channel, Update, UpdateKind};
use crate::scanning::ScanCounters;
use crate::ui::{html, see_other};
use crate::zones::ZoneDirectory;
use crate::{forms, paths};

/// What the zones' forms need.
#[derive(FromRequest)]
pub struct ZoneServices {
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
    counters: web::Data<dyn ScanCounters>,
    directory: web::Data<ZoneDirectory>,
}

pub async fn show_zones(
    ZoneServices { pool, counters, .. }: ZoneServices,
    user: CurrentUser,
    path: web::Path<EventId>,
) -> Result<HttpResponse, AppError> {
    let event_id = path.into_inner().get();
    user.require_on_event(Permission::WatchGates, event_id)?;
    let page = ZonesPage::load(&pool, &**counters, user.tenant(), event_id).await?;
    Ok(html(views::zones_page(&user, &page)))
}

/// A zone's settings as a form sends them: a ticket type it lets in is a checked box
/// `type_{id}` (none checked: every type).
#[derive(Deserialize)]
pub struct ZoneForm {
    name: Option<String>,
    capacity: Option<String>,
    when_full: Option<String>,
    #[serde(flatten)]
    boxes: std::collections::HashMap<String, String>,
}

impl ZoneForm {
    fn settings(&self) -> Result<ZoneSettings, AppError> {
        let mut types = Vec::new();
        for name in self.boxes.keys() {
            if let Some(id) = name.strip_prefix("type_") {
                let id = id
                    .parse()
                    .map_err(|_| AppError::bad_request(format!("{name:?} is not a ticket type")))?;
                types.push(id);
            }
        }
        types.sort_unstable();
        let field = |value: &Option<String>| value.clone().unwrap_or_default();
        ZoneSettings::parse(
            &field(&self.name),
            &field(&self.capacity),
            &field(&self.when_full),
            types,
        )
        .map_err(AppError::BadRequest)
    }
}

pub async fn add_zone(
    ZoneServices {
        pool, bus, directory, ..
    }: ZoneServices,
    form: CsrfForm<ZoneForm>,
    path: web::Path<EventId>,
) -> Result<HttpResponse, AppError> {
    let event_id = path.into_inner().get();
    let (tenant, by) = owner_of(&pool, &form.user, event_id).await?;
    let zone = form.form.settings()?;
    with_db(&pool, move |conn| {
        setup::save_zone(conn, &tenant, by, event_id, None, &zone)
    })
    .await?;
    Ok(changed(&**bus, &directory, &tenant, event_id))
}

pub async fn change_zone(
    ZoneServices {
        pool, bus, directory, ..
    }: ZoneServices,
    form: CsrfForm<ZoneForm>,
    path: web::Path<(EventId, ZoneId)>,
) -> Result<HttpResponse, AppError> {
    let (event_id, zone_id) = (path.0.get(), path.1.get());
    let (tenant, by) = owner_of(&pool, &form.user, event_id).await?;
    found(&pool, tenant, event_id, Of::Zone(zone_id)).await?;
    let zone = form.form.settings()?;
    with_db(&pool, move |conn| {
        setup::save_zone(conn, &tenant, by, event_id, Some(zone_id), &zone)
    })
    .await?;
    Ok(changed(&**bus, &directory, &tenant, event_id))
}

/// A gate's passage: `from` is `outside` or a zone id, `to` a zone id or empty (the
/// gate names no zones).
#[derive(Deserialize)]
pub struct PassageForm {
    from: Option<String>,
    to: Option<String>,
}

pub async fn set_passage(
    ZoneServices {
        pool, bus, directory, ..
    }: ZoneServices,
    form: CsrfForm<PassageForm>,
    path: web::Path<(EventId, GateId)>,
) -> Result<HttpResponse, AppError> {
    let (event_id, gate_id) = (path.0.get(), path.1.get());
    let (tenant, by) = owner_of(&pool, &form.user, event_id).await?;
    found(&pool, tenant, event_id, Of::Gate(gate_id)).await?;
    let passage = form.form.passage()?;
    with_db(&pool, move |conn| {
        setup::set_passage(conn, &tenant, by, event_id, gate_id, passage)
    })
    .await?;
    Ok(changed(&**bus, &directory, &tenant, event_id))
}

impl PassageForm {
    fn passage(&self) -> Result<super::model::PassageBetween, AppError> {
        let Some(to) = forms::optional_id(self.to.as_deref(), "to")? else {
            return Ok(None);
        };
        let from = match forms::given(self.from.as_deref()) {
            None | Some("outside") => None,
            Some(_) => forms::optional_id(self.from.as_deref(), "from")?,
        };
        Ok(Some((from, to)))
    }
}

#[derive(Deserialize)]
pub struct MismatchForm {
    rule: Option<String>,
}

pub async fn set_zone_mismatch(
    ZoneServices {
        pool, bus, directory, ..
    }: ZoneServices,
    form: CsrfForm<MismatchForm>,
    path: web::Path<EventId>,
) -> Result<HttpResponse, AppError> {
    let event_id = path.into_inner().get();
    let (tenant, by) = owner_of(&pool, &form.user, event_id).await?;
    let rule = form
        .form
        .rule
        .as_deref()
        .unwrap_or_default()
        .trim()
        .parse()
        .map_err(AppError::BadRequest)?;
    with_db(&pool, move |conn| {
        setup::set_zone_mismatch(conn, &tenant, by, event_id, rule)
    })
    .await?;
    Ok(changed(&**bus, &directory, &tenant, event_id))
}

#[derive(Deserialize)]
pub struct HeadcountForm {
    counted: Option<String>,
}

pub async fn correct_headcount(
    ZoneServices {
        pool,
        bus,
        counters,
        directory,
    }: ZoneServices,
    form: CsrfForm<HeadcountForm>,
    path: web::Path<(EventId, ZoneId)>,
) -> Result<HttpResponse, AppError> {
    let (event_id, zone_id, user) = (path.0.get(), path.1.get(), form.user);
    user.require_on_event(Permission::CorrectHeadcount, event_id)?;
    let (tenant, by) = (user.tenant(), Some(user.user_id));
    found(&pool, tenant, event_id, Of::Zone(zone_id)).await?;
    let counted = people(form.form.counted.as_deref().unwrap_or_default(), "count", 0).map_err(AppError::BadRequest)?;
    let corrected = with_db(&pool, move |conn| {
        headcount::record_headcount(conn, &tenant, by, event_id, zone_id, counted)
    })
    .await?;
    directory.forget(&tenant, event_id);
    headcount::announce(&**counters, &**bus, &tenant, event_id, corrected).await?;
    Ok(see_other(&paths::zones(event_id)))
}

/// An owner's change to an event of theirs: the tenant and who acts; another
/// organisation's event (or one the user does not run) is 404 before the role is asked.
async fn owner_of(pool: &Pool, user: &CurrentUser, event_id: i64) -> Result<(Tenant, Option<i64>), AppError> {
    user.require_on_event(Permission::ManageZones, event_id)?;
    let tenant = user.tenant();
    load_event(pool, tenant, event_id).await?;
    Ok((tenant, Some(user.user_id)))
}

/// A zone or a gate of the event, named in the path.
enum Of {
    Zone(i64),
    Gate(i64),
}

/// 404 unless the tenant's event has it: asked before the form is read, so a zone of
/// another event or organisation is not found, whatever the form says.
async fn found(pool: &Pool, tenant: Tenant, event_id: i64, of: Of) -> Result<(), AppError> {
    let there = with_db(pool, move |conn| {
        Ok(match of {
            Of::Zone(id) => super::queries::has_zone(conn, &tenant, event_id, id)?,
            Of::Gate(id) => super::queries::has_gate(conn, &tenant, event_id, id)?,
        })
    })
    .await?;
    there.then_some(()).ok_or(AppError::NotFound)
}

/// This instance's screens read the zones again, every monitor redraws its passages;
/// the form's page again.
fn changed(bus: &dyn Bus, directory: &ZoneDirectory, tenant: &Tenant, event_id: i64) -> HttpResponse {
    directory.forget(tenant, event_id);
    for channel in [Channel::scans(tenant, event_id), Channel::occupancy(tenant, event_id)] {
        bus.publish(Update {
            channel,
            kind: UpdateKind::EventChanged,
        });
    }
    see_other(&paths::zones(event_id))
}
