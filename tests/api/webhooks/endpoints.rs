//! Webhook endpoints: the test button, non-public targets refused without
//! `--webhooks-allow-private` (when added and again at delivery), bad input and another
//! organisation's endpoint answered 4xx, and the admin command.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db::{self, DatabaseUrl};

use crate::helpers::orders::place_a;
use crate::helpers::webhook_listener::{signature_verifies, Answer, WebhookListener};
use crate::helpers::webhooks::*;
use crate::helpers::{csrf_token, spawn_app_with, voelgoed};

#[tokio::test]
async fn the_test_button_sends_a_signed_test_and_a_disabled_endpoint_gets_nothing() {
    let app = sqlite_app(3).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let (endpoint, secret) = add_endpoint(&app, &listener.url(), &["order.paid"]).await;
    let owner = app.signed_in("owner@a.test").await;
    let token = csrf_token(&app.page(&owner, "/settings/webhooks").await).unwrap();
    let post = |path: String| {
        owner
            .post(app.url(&path))
            .form(&[("csrf_token", token.as_str())])
            .send()
    };

    assert_eq!(
        post(format!("/settings/webhooks/{endpoint}/test"))
            .await
            .unwrap()
            .status(),
        303
    );
    let received = listener.wait_for(1, WAIT).await;
    assert_eq!(received[0].json()["type"], "webhook.test");
    assert!(signature_verifies(
        &secret,
        received[0].signature.as_deref().unwrap(),
        &received[0].body
    ));

    assert_eq!(
        post(format!("/settings/webhooks/{endpoint}/disable"))
            .await
            .unwrap()
            .status(),
        303
    );
    assert!(app.page(&owner, "/settings/webhooks").await.contains("disabled"));
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(listener.received().len(), 1, "a disabled endpoint is queued nothing");

    assert_eq!(
        post(format!("/settings/webhooks/{endpoint}/enable"))
            .await
            .unwrap()
            .status(),
        303
    );
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    assert_eq!(listener.wait_for(2, WAIT).await.len(), 2);

    assert_eq!(
        post(format!("/settings/webhooks/{endpoint}/delete"))
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(app.count("webhook_endpoints").await, 0);
    assert_eq!(app.count("webhook_deliveries").await, 0);
    let audited: Vec<(String, Option<i64>)> = app
        .db(|conn| {
            use voelgoed::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::subject_type.eq("webhook"))
                .order(audit_log::id)
                .select((audit_log::action, audit_log::user_id))
                .load(conn)
                .unwrap()
        })
        .await;
    let actions: Vec<&str> = audited.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "webhook-created",
            "webhook-disabled",
            "webhook-enabled",
            "webhook-deleted"
        ]
    );
    assert!(audited.iter().all(|(_, user)| user.is_some()), "each names the owner");
}

#[tokio::test]
async fn private_and_loopback_targets_are_refused_without_the_flag() {
    let app = spawn_app_with(|s| s.webhooks.retry.first_delay = Duration::from_millis(100)).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let owner = app.signed_in("owner@a.test").await;

    for url in [
        listener.url(),
        format!("http://localhost:{}/hooks", listener.port),
        "http://10.0.0.5/hooks".into(),
        "http://169.254.169.254/latest".into(),
        "http://[::1]/hooks".into(),
        "https://100.64.1.1/".into(),
        "http://198.18.0.1/".into(),
        "http://192.0.0.170/".into(),
        "http://[::7f00:1]/".into(),
        "http://[64:ff9b:1::a00:5]/".into(),
        "http://[2002:a00:5::1]/".into(),
    ] {
        let response = post_endpoint(&app, &owner, &url, &["order.paid"]).await;
        assert_eq!(response.status(), 400, "{url}");
        let body = response.text().await.unwrap();
        assert!(body.contains("--webhooks-allow-private"), "{url}");
        // What a name resolves to stays unsaid: the form is no probe of the network.
        if url.contains("localhost") {
            assert!(!body.contains("127.0.0.1") && !body.contains("::1"), "{url}: {body}");
        }
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);

    // A name that resolved to a public address when it was added and resolves to a
    // loopback one now (as `localhost` does): checked again before delivery.
    let tenant = app.fixture.org_a.organization_id();
    let url = format!("http://localhost:{}/hooks", listener.port);
    app.db(move |conn| {
        diesel::sql_query(format!(
            "INSERT INTO webhook_endpoints (organization_id, url, events, secret, scan_cursor, scan_cursor_at, created_at) \
             VALUES ({tenant}, '{url}', 'order.paid', 'whsec_x', 0, 0, 0)"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;

    let found = wait_for_status(&app, "failed").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, 1, "given up at once: retrying cannot help");
    let error = found[0].2.as_deref().unwrap();
    assert!(
        error.contains("non-public") && !error.contains("127.0.0.1"),
        "{found:?}"
    );
    assert!(listener.received().is_empty(), "nothing reached the loopback listener");
}

#[tokio::test]
async fn bad_endpoint_input_and_another_organisations_endpoint_get_4xx_and_change_nothing() {
    let app = sqlite_app(3).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let (endpoint, _) = add_endpoint(&app, &listener.url(), &["order.paid"]).await;
    let owner = app.signed_in("owner@a.test").await;

    for (url, events, message) in [
        ("not-a-url", vec!["order.paid"], "is not a URL"),
        ("http://exa mple.com/", vec!["order.paid"], "must not contain spaces"),
        ("ftp://example.com/hooks", vec!["order.paid"], "http:// or https://"),
        ("", vec!["order.paid"], "enter the endpoint's URL"),
        ("http://127.0.0.1:1/x\u{7}", vec!["order.paid"], "control characters"),
        (
            listener.url().as_str(),
            vec!["order.shipped"],
            "unknown event &quot;order.shipped&quot;",
        ),
        (listener.url().as_str(), vec![], "choose at least one event"),
    ] {
        let response = post_endpoint(&app, &owner, url, &events).await;
        assert_eq!(response.status(), 400, "{url} {events:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{url}: {page}");
    }
    // From htmx, the reason comes back as the flash fragment.
    let token = csrf_token(&app.page(&owner, "/settings/webhooks").await).unwrap();
    let response = owner
        .post(app.url("/settings/webhooks"))
        .header("HX-Request", "true")
        .form(&[
            ("csrf_token", token.as_str()),
            ("url", "ftp://example.com/"),
            ("event", "order.paid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["hx-retarget"], "#flash");
    assert!(response.text().await.unwrap().contains("http:// or https://"));
    assert_eq!(app.count("webhook_endpoints").await, 1);

    let other = app.signed_in("owner@b.test").await;
    let other_token = csrf_token(&app.page(&other, "/settings/webhooks").await).unwrap();
    assert_eq!(
        other
            .get(app.url(&format!("/settings/webhooks/{endpoint}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    for action in ["test", "disable", "enable", "delete"] {
        let response = other
            .post(app.url(&format!("/settings/webhooks/{endpoint}/{action}")))
            .form(&[("csrf_token", other_token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{action}");
    }
    assert!(!app.page(&other, "/settings/webhooks").await.contains(&listener.url()));
    assert_eq!(app.count("webhook_endpoints").await, 1);
    assert_eq!(app.count("webhook_deliveries").await, 0, "no test was queued");
}

#[tokio::test]
async fn the_admin_command_adds_an_endpoint_and_prints_its_secret() {
    let app = sqlite_app(3).await;
    let listener = WebhookListener::start(Answer::Ok).await;
    let database = match &app.services.settings.database {
        DatabaseUrl::Sqlite(url) | DatabaseUrl::Postgres(url) => url.clone(),
    };
    let org = app.fixture.org_a.organization_id().to_string();
    let run = |extra: Vec<String>| {
        let mut args: Vec<String> = ["admin", "create-webhook", "--database", &database, "--org", &org]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        voelgoed(&args)
    };

    let refused = run(vec![
        "--url".into(),
        listener.url(),
        "--event".into(),
        "order.paid".into(),
    ]);
    assert!(!refused.status.success(), "loopback without --webhooks-allow-private");
    let bad = run(vec![
        "--url".into(),
        "ftp://example.com/".into(),
        "--event".into(),
        "order.paid".into(),
        "--webhooks-allow-private".into(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("http:// or https://"));
    let added = run(vec![
        "--url".into(),
        listener.url(),
        "--event".into(),
        "order.paid".into(),
        "--event".into(),
        "order.refunded".into(),
        "--webhooks-allow-private".into(),
    ]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let secret = String::from_utf8(added.stdout).unwrap().trim().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");

    let every = run(vec!["--url".into(), listener.url(), "--webhooks-allow-private".into()]);
    assert!(every.status.success(), "{}", String::from_utf8_lossy(&every.stderr));
    let owner = app.signed_in("owner@a.test").await;
    let page = app.page(&owner, "/settings/webhooks").await;
    assert!(page.contains(&listener.url()) && page.contains("order.refunded"));
    assert!(
        page.contains("order.paid, order.refunded, order.cancelled, scan.recorded, capacity.alert"),
        "none named: every event"
    );
    assert!(!page.contains(&secret), "the secret is not shown again");
    place_a(&app, ("Anna", "anna@example.test"), 1, db::now_ms()).await;
    let received = listener.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2, "one order.paid for each endpoint");
    assert!(
        received
            .iter()
            .any(|r| signature_verifies(&secret, r.signature.as_deref().unwrap(), &r.body)),
        "one of them signed with the printed secret"
    );
}
