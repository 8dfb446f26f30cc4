//! Headcount corrections: a supervisor's counted number corrects a zone (and the event's
//! inside), is audited, marks the gauge until the next one, survives a restart, and
//! moves on with the scans; stewards cannot, bad numbers change nothing, and another
//! organisation's zone is not found.

use super::counting::scan;
use super::{add_zone, passage, post_form, zones_a};
use crate::helpers::postgres::spawn_postgres_app;
use crate::helpers::{another_instance, spawn_app, text_of, TestApp};
use voelgoed::db::now_ms;

crate::helpers::on_both_backends!(
    a_headcount_corrects_the_zone_and_survives_a_restart:
    spawn_app(),
    spawn_postgres_app("voelgoed_zone_headcount"),
);

async fn live_zone(app: &TestApp, zone: i64) -> (i64, i64) {
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    let counts = app
        .services
        .scan_counters
        .event_counts(&tenant, event, now_ms())
        .await
        .unwrap();
    (counts.zones.get(&zone).copied().unwrap_or_default(), counts.occupancy)
}

async fn a_headcount_corrects_the_zone_and_survives_a_restart(app: TestApp) {
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let arena = add_zone(&app, &owner, "Arena", 100, "warn").await;
    let main = passage(&app, &owner, "Main", None, arena).await;
    let codes = app.sell_tickets_a(6).await.ticket_codes;
    for code in &codes[..5] {
        assert_eq!(scan(&app, &main, code, "in").await.0, "valid");
    }
    assert_eq!(live_zone(&app, arena).await, (5, 5));

    let supervisor = app.signed_in(&app.fixture.supervisor_a).await;
    let headcount = format!("/events/{}/zones/{arena}/headcount", app.fixture.event_a);
    for bad in ["-1", "lots", "", "2.5"] {
        let (status, body) = post_form(&app, &supervisor, &headcount, &[("counted", bad)]).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
    }
    assert_eq!(app.count("zone_corrections").await, 0);
    let (status, body) = post_form(&app, &supervisor, &headcount, &[("counted", "3")]).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        live_zone(&app, arena).await,
        (3, 3),
        "the zone and the event show the count"
    );
    let page = app
        .page(&supervisor, &format!("/events/{}/zones", app.fixture.event_a))
        .await;
    let gauge = text_of(&page, &format!("#zone-{arena}")).expect("the arena's gauge");
    assert!(gauge.contains("3 of 100"), "{gauge}");
    assert!(gauge.contains("by Sam Super (−2)"), "{gauge}");
    let audit = app
        .count("audit_log WHERE action = 'headcount-corrected' AND details = 'Arena: counted 3, showed 5 (-2)'")
        .await;
    assert_eq!(audit, 1);

    // The scans move on from the corrected count.
    assert_eq!(scan(&app, &main, &codes[5], "in").await.0, "valid");
    assert_eq!(live_zone(&app, arena).await, (4, 4));
    // A restarted instance counts it from the database, correction included.
    let restarted = another_instance(&app).await;
    assert_eq!(live_zone(&restarted, arena).await, (4, 4));
    let stored = zones_a(&app).await;
    assert_eq!((stored[0].inside, stored[0].correction), (6, -2));
}

#[tokio::test]
async fn stewards_cannot_correct_and_another_organisations_zone_is_not_found() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let arena = add_zone(&app, &owner, "Arena", 100, "warn").await;
    let event = app.fixture.event_a.to_string();
    let made = app
        .admin(&[
            "create-user",
            "--org",
            &app.fixture.org_a.organization_id().to_string(),
            "--email",
            "steward@zones.test",
            "--password",
            "steward-password-1",
            "--role",
            "steward",
            "--event",
            &event,
        ])
        .await;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let steward = app.signed_in_as("steward@zones.test", "steward-password-1").await;
    let headcount = format!("/events/{event}/zones/{arena}/headcount");
    assert_eq!(post_form(&app, &steward, &headcount, &[("counted", "1")]).await.0, 403);

    let other = app.signed_in(&app.fixture.owner_b).await;
    let b_zones = format!("/events/{}/zones", app.fixture.event_b);
    let token = crate::helpers::csrf_token(&app.page(&other, &b_zones).await).unwrap();
    for path in [
        headcount.clone(),
        format!("/events/{}/zones/{arena}/headcount", app.fixture.event_b),
    ] {
        let response = other
            .post(app.url(&path))
            .form(&[("counted", "1"), ("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // A zone of another event of org A under this event's URL.
    let (other_event, _) = app.another_event_a().await;
    let elsewhere = app
        .admin(&[
            "create-zone",
            "--event",
            &other_event.to_string(),
            "--name",
            "Elsewhere",
            "--capacity",
            "9",
        ])
        .await;
    let elsewhere = String::from_utf8_lossy(&elsewhere.stdout).trim().to_owned();
    let crossed = format!("/events/{event}/zones/{elsewhere}/headcount");
    assert_eq!(post_form(&app, &owner, &crossed, &[("counted", "1")]).await.0, 404);
    assert_eq!(app.count("zone_corrections").await, 0);
}
