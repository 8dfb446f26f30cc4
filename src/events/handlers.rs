//! `GET /` (to the event list, which `overview/` serves).

use actix_web::HttpResponse;

use crate::paths;
use crate::ui::see_other;

pub async fn home() -> HttpResponse {
    see_other(paths::EVENTS)
}
