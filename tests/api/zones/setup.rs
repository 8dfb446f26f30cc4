//! Setting zones up: the owners' forms (audited), the command line, and every bad input
//! refused with a 400 that changes nothing; roles and tenancy.

use super::{add_zone, passage, post_form, zones_a};
use crate::helpers::spawn_app;

#[tokio::test]
async fn bad_zones_and_passages_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let event = app.fixture.event_a;
    let arena = add_zone(&app, &owner, "Arena", 100, "warn").await;
    let deck = add_zone(&app, &owner, "Deck", 10, "refuse").await;
    passage(&app, &owner, "Stairs", Some(arena), deck).await;
    // A zone of another event of the same organisation.
    let (other_event, _) = app.another_event_a().await;
    let other_event = other_event.to_string();
    let other_zone = app
        .admin(&[
            "create-zone",
            "--event",
            &other_event,
            "--name",
            "Elsewhere",
            "--capacity",
            "50",
        ])
        .await;
    assert!(
        other_zone.status.success(),
        "{}",
        String::from_utf8_lossy(&other_zone.stderr)
    );
    let other_zone = String::from_utf8_lossy(&other_zone.stdout).trim().to_owned();
    let zones_before = zones_a(&app).await;
    let audit_before = app.count("audit_log").await;

    let zones = format!("/events/{event}/zones");
    for fields in [
        vec![("name", "Pit"), ("capacity", "0"), ("when_full", "warn")],
        vec![("name", "Pit"), ("capacity", "-5"), ("when_full", "warn")],
        vec![("name", "Pit"), ("capacity", "many"), ("when_full", "warn")],
        vec![("name", ""), ("capacity", "5"), ("when_full", "warn")],
        vec![("name", "Pit"), ("capacity", "5"), ("when_full", "shrug")],
        vec![("name", "Arena"), ("capacity", "5"), ("when_full", "warn")],
        vec![
            ("name", "Pit"),
            ("capacity", "5"),
            ("when_full", "warn"),
            ("type_abc", "on"),
        ],
    ] {
        let (status, body) = post_form(&app, &owner, &zones, &fields).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
    }
    // A ticket type of another organisation's event.
    let foreign = format!("type_{}", app.fixture.ticket_type_b);
    let fields = [
        ("name", "Pit"),
        ("capacity", "5"),
        ("when_full", "warn"),
        (foreign.as_str(), "on"),
    ];
    assert_eq!(post_form(&app, &owner, &zones, &fields).await.0, 400);

    let (_, gate_device) = app.device_a("Back door").await;
    let gate = app
        .db(move |conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::devices;
            devices::table
                .find(gate_device)
                .select(devices::gate_id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let gate_path = format!("/events/{event}/gates/{gate}/passage");
    let (arena_s, deck_s) = (arena.to_string(), deck.to_string());
    for (from, to) in [
        (arena_s.as_str(), arena_s.as_str()), // into itself
        ("outside", "999999"),                // an unknown zone
        (deck_s.as_str(), arena_s.as_str()),  // a loop: arena -> deck exists
        ("outside", "deck"),                  // not an id
    ] {
        let (status, body) = post_form(&app, &owner, &gate_path, &[("from", from), ("to", to)]).await;
        assert_eq!(status, 400, "{from} -> {to}: {body}");
    }
    let (status, _) = post_form(&app, &owner, &gate_path, &[("from", "outside"), ("to", &other_zone)]).await;
    assert_eq!(status, 400, "a zone of another event");
    let rule = format!("/events/{event}/zone-mismatch");
    assert_eq!(post_form(&app, &owner, &rule, &[("rule", "sometimes")]).await.0, 400);

    assert_eq!(zones_a(&app).await, zones_before, "nothing changed");
    assert_eq!(app.count("audit_log").await, audit_before, "nothing audited");
    assert_eq!(app.count("gates WHERE to_zone_id IS NOT NULL").await, 1);
}

#[tokio::test]
async fn zones_are_an_owners_business_and_another_organisations_are_not_found() {
    let app = spawn_app().await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let arena = add_zone(&app, &owner, "Arena", 100, "warn").await;
    let supervisor = app.signed_in(&app.fixture.supervisor_a).await;
    let event = app.fixture.event_a;
    // A supervisor sees the zones but may not change them.
    assert_eq!(
        supervisor
            .get(app.url(&format!("/events/{event}/zones")))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let fields = [("name", "Pit"), ("capacity", "5"), ("when_full", "warn")];
    let (status, _) = post_form(&app, &supervisor, &format!("/events/{event}/zones"), &fields).await;
    assert_eq!(status, 403);
    // Org B's owner: org A's event and zone do not exist for them.
    let other = app.signed_in(&app.fixture.owner_b).await;
    let page = other
        .get(app.url(&format!("/events/{event}/zones")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let b_page = format!("/events/{}/zones", app.fixture.event_b);
    let token = crate::helpers::csrf_token(&app.page(&other, &b_page).await).unwrap();
    // Org A's zone under its own event's path, and under org B's event's.
    for path in [
        format!("/events/{event}/zones/{arena}"),
        format!("/events/{}/zones/{arena}", app.fixture.event_b),
    ] {
        let fields = [
            ("name", "Mine"),
            ("capacity", "5"),
            ("when_full", "warn"),
            ("csrf_token", &token),
        ];
        let response = other.post(app.url(&path)).form(&fields).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    assert_eq!(zones_a(&app).await[0].name, "Arena");
}

#[tokio::test]
async fn the_command_line_makes_zones_and_passages_and_the_owner_change_is_audited() {
    let app = spawn_app().await;
    let event = app.fixture.event_a.to_string();
    let made = app
        .admin(&["create-zone", "--event", &event, "--name", "Arena", "--capacity", "500"])
        .await;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let id: i64 = String::from_utf8_lossy(&made.stdout)
        .trim()
        .parse()
        .expect("the zone's id");
    app.admin(&[
        "create-zone",
        "--event",
        &event,
        "--name",
        "VIP",
        "--capacity",
        "50",
        "--when-full",
        "refuse",
    ])
    .await;
    let set = app
        .admin(&[
            "gate-passage",
            "--event",
            &event,
            "--gate",
            "Stairs",
            "--from",
            "Arena",
            "--to",
            "VIP",
        ])
        .await;
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    assert!(String::from_utf8_lossy(&set.stdout).contains("Arena → VIP"));
    let looped = app
        .admin(&[
            "gate-passage",
            "--event",
            &event,
            "--gate",
            "Back",
            "--from",
            "VIP",
            "--to",
            "Arena",
        ])
        .await;
    assert!(!looped.status.success(), "a loop is refused");
    let zones = zones_a(&app).await;
    assert_eq!(
        (zones[0].id, zones[0].capacity, zones[1].when_full.as_stored()),
        (id, 500, "refuse")
    );
    assert_eq!(app.count("audit_log WHERE action = 'zone-saved'").await, 2);
    assert_eq!(app.count("audit_log WHERE action = 'gate-passage-set'").await, 1);
    let bad = app
        .admin(&["create-zone", "--event", &event, "--name", "X", "--capacity", "0"])
        .await;
    assert!(!bad.status.success());
}
