//! Another organisation's data is never visible: its ids answer exactly like missing ones.

use crate::helpers::spawn_app;

/// Every organiser route that takes an event id.
const EVENT_ROUTES: &[&str] = &[
    "/events/{id}",
    "/events/{id}/scans",
    "/events/{id}/kiosk-links",
    "/sse/events/{id}/occupancy",
    "/sse/events/{id}/scans",
];

#[tokio::test]
async fn another_organisations_event_answers_like_a_missing_one_on_every_route() {
    let app = spawn_app().await;
    let client = app.signed_in("owner@a.test").await;
    let missing = app.fixture.event_a.max(app.fixture.event_b) + 1000;

    for route in EVENT_ROUTES {
        let own = client
            .get(app.url(&route.replace("{id}", &app.fixture.event_a.to_string())))
            .send()
            .await
            .unwrap();
        assert_eq!(own.status(), 200, "{route} answers for the own event");
        drop(own);
        let other = client
            .get(app.url(&route.replace("{id}", &app.fixture.event_b.to_string())))
            .send()
            .await
            .unwrap();
        let absent = client
            .get(app.url(&route.replace("{id}", &missing.to_string())))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404, "{route}");
        assert_eq!(absent.status(), 404, "{route}");
        let (other, absent) = (other.text().await.unwrap(), absent.text().await.unwrap());
        assert_eq!(
            other, absent,
            "{route}: the other organisation's id must be indistinguishable"
        );
        assert!(!other.contains("Bravo Concert"));
    }
}

#[tokio::test]
async fn event_list_shows_only_the_own_organisations_events() {
    let app = spawn_app().await;

    let page_a = app.page(&app.signed_in("owner@a.test").await, "/events").await;
    let page_b = app.page(&app.signed_in("owner@b.test").await, "/events").await;

    assert!(page_a.contains("Alpha Festival") && !page_a.contains("Bravo Concert"));
    assert!(page_b.contains("Bravo Concert") && !page_b.contains("Alpha Festival"));
}

#[tokio::test]
async fn sales_of_one_organisation_do_not_show_in_anothers_numbers() {
    let app = spawn_app().await;
    app.sell_tickets_a(3).await;

    let page_b = app
        .page(
            &app.signed_in("owner@b.test").await,
            &format!("/events/{}", app.fixture.event_b),
        )
        .await;

    assert_eq!(
        crate::helpers::text_of(&page_b, r#"[data-metric="sold"]"#).as_deref(),
        Some("0")
    );
}
