//! `POST /events/{id}/alerts/{alert}/acknowledge`: from the scan monitor's button.

use actix_web::{web, HttpResponse};

use super::acknowledge::{acknowledge_alert, Acknowledgement};
use crate::auth::{CsrfForm, Permission};
use crate::db::Pool;
use crate::domain::{AlertId, EventId};
use crate::error::AppError;
use crate::events::load_event;
use crate::live::Bus;
use crate::paths;
use crate::ui::see_other;

/// Acknowledges the alert and goes back to the monitor (again: changes nothing).
pub async fn acknowledge(
    pool: web::Data<Pool>,
    bus: web::Data<dyn Bus>,
    form: CsrfForm<serde::de::IgnoredAny>,
    path: web::Path<(EventId, AlertId)>,
) -> Result<HttpResponse, AppError> {
    let user = form.user;
    let (event_id, alert_id) = path.into_inner();
    let (event_id, alert_id) = (event_id.get(), alert_id.get());
    user.require_on_event(Permission::AcknowledgeAlert, event_id)?;
    let tenant = user.tenant();
    load_event(&pool, tenant, event_id).await?;
    let ack = Acknowledgement {
        tenant,
        user_id: user.user_id,
        event_id,
        alert_id,
    };
    acknowledge_alert(&pool, &**bus, ack).await?;
    Ok(see_other(&paths::scan_monitor(event_id)))
}
