//! What roles may see and do beyond the route table: a supervisor or steward kept to the
//! events assigned to them (an event not assigned answers like another organisation's),
//! buyers' addresses masked for supervisors, no export link for them, and the resend
//! limit per user across orders.

use crate::helpers::{csrf_token, spawn_app};

#[tokio::test]
async fn resending_confirmations_is_limited_per_user_across_orders() {
    let app = spawn_app().await;
    let mut orders = Vec::new();
    for _ in 0..11 {
        orders.push(app.place_order_a(1).await.id);
    }
    let supervisor = app.signed_in("super@a.test").await;
    let owner = app.signed_in("owner@a.test").await;
    let token = csrf_token(&app.page(&supervisor, "/events").await).unwrap();
    let resend = |client: &reqwest::Client, token: &str, order: i64| {
        client
            .post(app.url(&format!("/orders/{order}/resend-confirmation")))
            .form(&[("csrf_token", token)])
            .send()
    };

    for order in &orders[..10] {
        assert_eq!(resend(&supervisor, &token, *order).await.unwrap().status(), 303);
    }
    let refused = resend(&supervisor, &token, orders[10]).await.unwrap();

    assert_eq!(refused.status(), 429);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("10 confirmations in the last 10 minutes"));
    assert_eq!(
        app.count("email_outbox").await,
        10,
        "nothing queued for the refused one"
    );
    // Another user is not held back by the supervisor's resends.
    let owner_token = csrf_token(&app.page(&owner, "/events").await).unwrap();
    assert_eq!(resend(&owner, &owner_token, orders[10]).await.unwrap().status(), 303);
}

#[tokio::test]
async fn supervisors_get_no_export_link() {
    let app = spawn_app().await;
    app.sell_tickets_a(1).await;
    let supervisor = app.signed_in("super@a.test").await;
    let owner = app.signed_in("owner@a.test").await;

    assert!(!app.page(&supervisor, "/orders").await.contains("/orders.csv"));
    assert!(app.page(&owner, "/orders").await.contains("/orders.csv"));
}

#[tokio::test]
async fn an_event_not_assigned_is_404_to_its_supervisor_and_steward_as_another_orgs_is() {
    let app = spawn_app().await;
    let other = app.another_event_a().await.0;
    let pages = [
        format!("/events/{other}"),
        format!("/events/{other}/scans"),
        format!("/events/{other}/kiosk-links"),
        format!("/events/{other}/door"),
        format!("/sse/events/{other}/occupancy"),
        format!("/sse/events/{other}/scans"),
    ];
    let owner = app.signed_in("owner@a.test").await;

    for email in ["super@a.test", "steward@a.test"] {
        let client = app.signed_in(email).await;
        for page in &pages {
            let status = client.get(app.url(page)).send().await.unwrap().status();
            assert_eq!(status, 404, "{email} {page}");
        }
        let events = app.page(&client, "/events").await;
        assert!(events.contains("Alpha Festival"), "{email} sees their event");
        assert!(!events.contains("Gamma Night"), "{email} does not see the other");
    }
    assert_eq!(owner.get(app.url(&pages[0])).send().await.unwrap().status(), 200);
    assert!(app.page(&owner, "/events").await.contains("Gamma Night"));
}

#[tokio::test]
async fn supervisors_see_buyers_addresses_masked_and_finance_sees_them() {
    let app = spawn_app().await;
    let order = crate::helpers::orders::place_a(
        &app,
        ("Jane Buyer", "jane.buyer@example.com"),
        1,
        voelgoed::db::now_ms(),
    )
    .await;
    let supervisor = app.signed_in("super@a.test").await;
    let finance = app.signed_in("finance@a.test").await;

    for page in ["/orders".to_owned(), format!("/orders/{}", order.id)] {
        let seen = app.page(&supervisor, &page).await;
        assert!(!seen.contains("jane.buyer@example.com"), "{page}");
        assert!(seen.contains("j•••@example.com"), "{page}");
        assert!(
            app.page(&finance, &page).await.contains("jane.buyer@example.com"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn a_supervisor_lists_only_the_orders_of_their_events() {
    let app = spawn_app().await;
    let tenant = app.fixture.org_a;
    let (other, other_type) = app
        .db(move |conn| {
            let now = voelgoed::db::now_ms();
            let event = voelgoed::provisioning::NewEvent {
                name: "Gamma Night",
                venue: "Side Hall",
                starts_at: now,
                ends_at: now + 3_600_000,
                timezone: "Europe/Amsterdam",
                capacity: 100,
                currency: "EUR",
                sales_open_at: now - 1_000,
            };
            let id = voelgoed::provisioning::create_event(conn, &tenant, &event).unwrap();
            let ticket_type = voelgoed::provisioning::create_ticket_type(conn, &tenant, id, "Door", 1_000, 50).unwrap();
            (id, ticket_type)
        })
        .await;
    let now = voelgoed::db::now_ms();
    let mine = crate::helpers::orders::place_a(&app, ("Mina Mine", "mina@example.com"), 1, now).await;
    let theirs = crate::helpers::orders::place(
        &app,
        tenant,
        other,
        other_type,
        ("Theo Theirs", "theo@example.com"),
        1,
        now,
    )
    .await;
    let supervisor = app.signed_in("super@a.test").await;
    let finance = app.signed_in("finance@a.test").await;

    let list = app.page(&supervisor, "/orders").await;
    assert!(list.contains(&mine.code) && !list.contains(&theirs.code));
    assert!(!list.contains("Gamma Night"), "not even in the event chooser");
    let asked = supervisor
        .get(app.url(&format!("/orders?event={other}")))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 404);
    let order = supervisor
        .get(app.url(&format!("/orders/{}", theirs.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), 404);
    let all = app.page(&finance, "/orders").await;
    assert!(
        all.contains(&mine.code) && all.contains(&theirs.code),
        "finance sees every event"
    );
}
