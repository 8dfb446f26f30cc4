//! Zones (`src/zones/`, the engine's `zone_rules`): setting zones and passages up through
//! the owners' forms and the command line, people moving between zones through the
//! device API on both backends and across instances, full zones, zone ticket types,
//! the mismatch rule, headcount corrections, and the gauges on the live screens.

mod alerts;
mod counting;
mod headcount;
mod scaled;
mod screens;
mod setup;

use crate::helpers::{csrf_token, TestApp};
use voelgoed::zones::model::Zone;

/// The owner's console client posts a zones form; the status and the answer's text.
pub async fn post_form(app: &TestApp, client: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let page = app
        .page(client, &format!("/events/{}/zones", app.fixture.event_a))
        .await;
    let token = csrf_token(&page).expect("a CSRF token on the zones page");
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    let response = client.post(app.url(path)).form(&form).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Org A's event's zones, as stored.
pub async fn zones_a(app: &TestApp) -> Vec<Zone> {
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    app.db(move |conn| voelgoed::zones::queries::zones_of_event(conn, &tenant, event).unwrap())
        .await
}

/// Adds a zone to org A's event through the owner's form; its id.
pub async fn add_zone(app: &TestApp, owner: &reqwest::Client, name: &str, capacity: i64, when_full: &str) -> i64 {
    let path = format!("/events/{}/zones", app.fixture.event_a);
    let capacity = capacity.to_string();
    let fields = [
        ("name", name),
        ("capacity", capacity.as_str()),
        ("when_full", when_full),
    ];
    let (status, body) = post_form(app, owner, &path, &fields).await;
    assert_eq!(status, 303, "{body}");
    zones_a(app)
        .await
        .into_iter()
        .find(|zone| zone.name == name)
        .expect("the new zone")
        .id
}

/// Makes org A's gate `gate` (with a device, whose token it returns) a passage.
pub async fn passage(app: &TestApp, owner: &reqwest::Client, gate: &str, from: Option<i64>, to: i64) -> String {
    let (token, device) = app.device_a(gate).await;
    let gate_id = app
        .db(move |conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::devices;
            devices::table
                .find(device)
                .select(devices::gate_id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let path = format!("/events/{}/gates/{gate_id}/passage", app.fixture.event_a);
    let (from, to) = (from.map_or("outside".into(), |id| id.to_string()), to.to_string());
    let (status, body) = post_form(app, owner, &path, &[("from", &from), ("to", &to)]).await;
    assert_eq!(status, 303, "{body}");
    token
}

/// Each zone's tickets counted from the tickets themselves, and the stored counts.
pub async fn recount(app: &TestApp) -> Vec<(i64, i64, i64)> {
    let zones = zones_a(app).await;
    let mut counted = Vec::new();
    for zone in zones {
        let id = zone.id;
        let n = app
            .db(move |conn| {
                use diesel::prelude::*;
                use voelgoed::db::schema::tickets;
                tickets::table
                    .filter(tickets::inside_zone_id.eq(id))
                    .count()
                    .get_result::<i64>(conn)
                    .unwrap()
            })
            .await;
        counted.push((zone.id, zone.inside, n));
    }
    counted
}
