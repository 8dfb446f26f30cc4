//! The audit log: every organiser action and sign-in is written, owners read their own
//! organisation's at /audit, filtered by action, user and date.

use crate::helpers::{csrf_token, spawn_app, TestApp};

/// The `data-audit-action` of each row of the audit page at `path`, newest first.
async fn actions_on(app: &TestApp, client: &reqwest::Client, path: &str) -> Vec<String> {
    let page = app.page(client, path).await;
    let html = scraper::Html::parse_document(&page);
    let rows = scraper::Selector::parse("tr[data-audit-action]").unwrap();
    html.select(&rows)
        .map(|row| row.value().attr("data-audit-action").unwrap().to_owned())
        .collect()
}

async fn post_form(app: &TestApp, client: &reqwest::Client, page: &str, path: &str, fields: &[(&str, &str)]) -> u16 {
    let token = csrf_token(&app.page(client, page).await).unwrap();
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_organiser_action_and_sign_in_is_in_the_owners_audit_log() {
    let app = spawn_app().await;
    let order = app.sell_tickets_a(1).await;
    let second = app.sell_tickets_a(1).await;
    let _ = app.sign_in(&app.client(), "super@a.test", "wrong").await;
    let supervisor = app.signed_in("super@a.test").await;
    let owner = app.signed_in("owner@a.test").await;
    let links = format!("/events/{}/kiosk-links", app.fixture.event_a);
    let order_page = format!("/orders/{}", order.id);

    assert_eq!(post_form(&app, &owner, &links, &links, &[]).await, 200);
    let link_id = app
        .db(|conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::kiosk_links;
            kiosk_links::table.select(kiosk_links::id).first::<i64>(conn).unwrap()
        })
        .await;
    let revoke = format!("{links}/{link_id}/revoke");
    assert_eq!(post_form(&app, &owner, &links, &revoke, &[]).await, 303);
    let resend = format!("/orders/{}/resend-confirmation", second.id);
    assert_eq!(post_form(&app, &supervisor, &order_page, &resend, &[]).await, 303);
    let refund = [
        ("idempotency_key", "k1"),
        ("scope", "all"),
        ("amount", "4550"),
        ("reason", "buyer_request"),
    ];
    let refund_path = format!("/orders/{}/refund", order.id);
    assert_eq!(post_form(&app, &owner, &order_page, &refund_path, &refund).await, 303);
    let pool = app.services.pool.clone();
    let event = app.fixture.event_a;
    let device = tokio::task::spawn_blocking(move || {
        voelgoed::provisioning::create_device_command(&pool, event, "North", None).unwrap();
        let mut conn = pool.get().unwrap();
        use diesel::prelude::*;
        use voelgoed::db::schema::devices;
        let id: i64 = devices::table.select(devices::id).first(&mut conn).unwrap();
        voelgoed::provisioning::revoke_device(&pool, id).unwrap();
        id
    })
    .await
    .unwrap();
    assert_eq!(post_form(&app, &supervisor, "/events", "/logout", &[]).await, 303);

    let actions = actions_on(&app, &owner, "/audit").await;

    assert_eq!(
        actions,
        [
            "sign-out",
            "device-revoked",
            "device-created",
            "refund",
            "resend-confirmation",
            "kiosk-link-revoked",
            "kiosk-link-created",
            "sign-in",
            "sign-in",
            "sign-in-failed",
        ]
    );
    let page = app.page(&owner, "/audit").await;
    assert!(page.contains("Sam Super"), "names who acted");
    assert!(page.contains(&format!("device {device}")));
    assert!(page.contains(r#"href="/audit""#), "linked from the owner's navigation");
}

#[tokio::test]
async fn the_audit_log_filters_by_action_user_and_date() {
    let app = spawn_app().await;
    let _supervisor = app.signed_in("super@a.test").await;
    let owner = app.signed_in("owner@a.test").await;
    let supervisor_id = app
        .db(|conn| {
            use diesel::prelude::*;
            use voelgoed::db::schema::users;
            users::table
                .filter(users::email.eq("super@a.test"))
                .select(users::id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    // Two days on: past today in any timezone.
    let later = tomorrow.succ_opt().unwrap();

    assert_eq!(actions_on(&app, &owner, "/audit?action=sign-in").await.len(), 2);
    assert_eq!(actions_on(&app, &owner, "/audit?action=refund").await.len(), 0);
    assert_eq!(
        actions_on(&app, &owner, &format!("/audit?user={supervisor_id}")).await,
        ["sign-in"]
    );
    assert_eq!(actions_on(&app, &owner, &format!("/audit?from={later}")).await.len(), 0);
    assert_eq!(
        actions_on(
            &app,
            &owner,
            &format!("/audit?from={}&to={tomorrow}", today.pred_opt().unwrap())
        )
        .await
        .len(),
        2
    );
    for bad in [
        "/audit?action=drop-table",
        "/audit?user=me",
        "/audit?from=yesterday",
        "/audit?from=2026-12-02&to=2026-12-01",
    ] {
        let response = owner.get(app.url(bad)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn an_owner_sees_only_their_own_organisations_entries_and_supervisors_none() {
    let app = spawn_app().await;
    let owner_a = app.signed_in("owner@a.test").await;
    let owner_b = app.signed_in("owner@b.test").await;
    let supervisor = app.signed_in("super@a.test").await;

    assert_eq!(actions_on(&app, &owner_b, "/audit").await, ["sign-in"]);
    assert!(!app.page(&owner_b, "/audit").await.contains("Alice Owner"));
    assert_eq!(actions_on(&app, &owner_a, "/audit").await.len(), 2);
    assert_eq!(supervisor.get(app.url("/audit")).send().await.unwrap().status(), 403);
    assert!(!app.page(&supervisor, "/events").await.contains(r#"href="/audit""#));
}
