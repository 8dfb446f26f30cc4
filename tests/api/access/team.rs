//! The team page: owners add users with a role and events (a password shown once),
//! change roles and events, deactivate (sessions and open streams end at once; no
//! sign-in) and reactivate, and set a new password; all audited, CSRF-checked,
//! tenant-scoped, bad input 4xx, and never without an active owner. SQLite and
//! PostgreSQL.

use std::time::Duration;

use crate::helpers::postgres::fresh_postgres_database;
use crate::helpers::sse::SseReader;
use crate::helpers::{csrf_token, spawn_app, spawn_on, TestApp};
use voelgoed::db::DatabaseUrl;

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = csrf_token(&app.page(client, "/events").await).unwrap();
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    client.post(app.url(path)).form(&form).send().await.unwrap()
}

/// The password a page shows once.
fn shown_password(page: &str) -> String {
    let start = page.find("data-password>").unwrap() + "data-password>".len();
    page[start..].split('<').next().unwrap().to_owned()
}

async fn audited(app: &TestApp, action: &'static str) -> i64 {
    app.db(move |conn| {
        use diesel::prelude::*;
        use voelgoed::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

async fn an_owner_adds_a_steward_who_signs_in_with_the_password_shown_once(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    let event = app.fixture.event_a.to_string();

    let added = post(
        &app,
        &owner,
        "/team",
        &[
            ("name", "Gina Gate"),
            ("email", "Gina@A.test"),
            ("role", "steward"),
            ("event", &event),
        ],
    )
    .await;

    assert_eq!(added.status(), 200);
    let password = shown_password(&added.text().await.unwrap());
    let steward = app.signed_in_as("gina@a.test", &password).await;
    assert!(app.page(&steward, "/events").await.contains("Alpha Festival"));
    let monitor = format!("/events/{event}/scans");
    assert_eq!(steward.get(app.url(&monitor)).send().await.unwrap().status(), 200);
    let team = app.page(&owner, "/team").await;
    assert!(team.contains("Gina Gate") && team.contains("gina@a.test"));
    assert!(!team.contains(&password), "the password is shown only once");
    assert_eq!(audited(&app, "user-added").await, 1);
}

#[tokio::test]
async fn an_owner_adds_a_steward_on_sqlite() {
    an_owner_adds_a_steward_who_signs_in_with_the_password_shown_once(spawn_app().await).await;
}

#[tokio::test]
async fn an_owner_adds_a_steward_on_postgres() {
    let admin_url = std::env::var("VOELGOED_TEST_POSTGRES").expect("VOELGOED_TEST_POSTGRES");
    let url = fresh_postgres_database(&admin_url, &format!("voelgoed_team_{}", std::process::id()));
    let app = spawn_on(DatabaseUrl::parse(&url).unwrap(), |_| {}, tempfile::tempdir().unwrap()).await;
    an_owner_adds_a_steward_who_signs_in_with_the_password_shown_once(app).await;
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_at_once_and_cannot_sign_in_until_reactivated() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let steward = app.signed_in("steward@a.test").await;
    let event = app.fixture.event_a;
    let mut stream = SseReader::open(&app, &steward, &format!("/sse/events/{event}/scans")).await;
    assert!(
        !stream.closes_within(Duration::from_millis(300)).await,
        "open while active"
    );
    let id = app.user_id("steward@a.test").await;

    let response = post(&app, &owner, &format!("/team/{id}/deactivate"), &[]).await;

    assert_eq!(response.status(), 303);
    assert!(
        stream.closes_within(Duration::from_secs(2)).await,
        "the open stream ends"
    );
    assert_eq!(steward.get(app.url("/events")).send().await.unwrap().status(), 401);
    let again = app
        .sign_in(&app.client(), "steward@a.test", crate::helpers::PASSWORD)
        .await;
    assert_ne!(again.status(), 303, "a deactivated user cannot sign in");
    assert!(app.page(&owner, "/team").await.contains("deactivated"));
    assert_eq!(audited(&app, "user-deactivated").await, 1);

    assert_eq!(
        post(&app, &owner, &format!("/team/{id}/reactivate"), &[])
            .await
            .status(),
        303
    );
    app.signed_in("steward@a.test").await;
    assert_eq!(audited(&app, "user-reactivated").await, 1);
}

#[tokio::test]
async fn a_new_password_is_shown_once_and_ends_the_old_sessions() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let supervisor = app.signed_in("super@a.test").await;
    let id = app.user_id("super@a.test").await;

    let response = post(&app, &owner, &format!("/team/{id}/password"), &[]).await;

    assert_eq!(response.status(), 200);
    let password = shown_password(&response.text().await.unwrap());
    assert_eq!(supervisor.get(app.url("/events")).send().await.unwrap().status(), 401);
    let old = app
        .sign_in(&app.client(), "super@a.test", crate::helpers::PASSWORD)
        .await;
    assert_ne!(old.status(), 303, "the old password no longer works");
    app.signed_in_as("super@a.test", &password).await;
    assert_eq!(audited(&app, "password-set").await, 1);
}

#[tokio::test]
async fn a_role_and_events_change_and_the_last_active_owner_stays_one() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let supervisor = app.signed_in("super@a.test").await;
    let (me, sam) = (app.user_id("owner@a.test").await, app.user_id("super@a.test").await);
    let dashboard = format!("/events/{}", app.fixture.event_a);

    // Sam now runs no event: A's event is 404 to him, as another organisation's.
    let changed = post(&app, &owner, &format!("/team/{sam}/role"), &[("role", "supervisor")]).await;
    assert_eq!(changed.status(), 303);
    assert_eq!(supervisor.get(app.url(&dashboard)).send().await.unwrap().status(), 404);
    assert_eq!(audited(&app, "user-changed").await, 1);

    for (path, fields) in [
        (format!("/team/{me}/role"), vec![("role", "finance")]),
        (format!("/team/{me}/deactivate"), vec![]),
    ] {
        let refused = post(&app, &owner, &path, &fields).await;
        assert_eq!(refused.status(), 409, "{path}");
        assert!(refused.text().await.unwrap().contains("active owner"), "{path}");
    }
    assert_eq!(
        owner.get(app.url("/team")).send().await.unwrap().status(),
        200,
        "still owner"
    );
    // With a second owner, the first may step down.
    assert_eq!(
        post(&app, &owner, &format!("/team/{sam}/role"), &[("role", "owner")])
            .await
            .status(),
        303
    );
    assert_eq!(
        post(&app, &owner, &format!("/team/{me}/role"), &[("role", "finance")])
            .await
            .status(),
        303
    );
    assert_eq!(owner.get(app.url("/team")).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let event_b = app.fixture.event_b.to_string();
    let users_before = app.count("users").await;
    let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
        (vec![("name", "X"), ("email", "not-an-address"), ("role", "owner")], 400),
        (vec![("name", ""), ("email", "x@a.test"), ("role", "owner")], 400),
        (vec![("name", "X"), ("email", "x@a.test"), ("role", "admin")], 400),
        (
            vec![
                ("name", "X"),
                ("email", "x@a.test"),
                ("role", "steward"),
                ("event", "abc"),
            ],
            400,
        ),
        // Another organisation's event is not one to give.
        (
            vec![
                ("name", "X"),
                ("email", "x@a.test"),
                ("role", "steward"),
                ("event", &event_b),
            ],
            400,
        ),
        (vec![("name", "X"), ("email", "super@a.test"), ("role", "owner")], 409),
    ];
    for (fields, expected) in &cases {
        assert_eq!(
            post(&app, &owner, "/team", fields).await.status(),
            *expected,
            "{fields:?}"
        );
    }
    assert_eq!(app.count("users").await, users_before, "nothing was added");

    let no_csrf = owner
        .post(app.url("/team"))
        .form(&[("name", "X"), ("email", "x@a.test"), ("role", "owner")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    let other_org_user = app.user_id("owner@b.test").await;
    for action in ["deactivate", "reactivate", "password"] {
        let path = format!("/team/{other_org_user}/{action}");
        assert_eq!(post(&app, &owner, &path, &[]).await.status(), 404, "{path}");
    }
    let role = format!("/team/{other_org_user}/role");
    assert_eq!(post(&app, &owner, &role, &[("role", "steward")]).await.status(), 404);
    assert_eq!(
        app.signed_in("owner@b.test")
            .await
            .get(app.url("/events"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn the_admin_command_creates_a_steward_of_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("admin.sqlite");
    let db = db.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--database", db]);
        crate::helpers::voelgoed(&all)
    };
    let org = run(&["create-org", "--name", "Door Org"]);
    assert!(org.status.success(), "{}", String::from_utf8_lossy(&org.stderr));
    let org = String::from_utf8_lossy(&org.stdout).trim().to_owned();

    let refused = run(&[
        "create-user",
        "--org",
        &org,
        "--email",
        "s@door.test",
        "--password",
        "a-long-password",
        "--role",
        "steward",
        "--event",
        "999",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not an event of organisation"));
    let wrong_role = run(&[
        "create-user",
        "--org",
        &org,
        "--email",
        "s@door.test",
        "--password",
        "a-long-password",
        "--role",
        "admin",
    ]);
    assert!(String::from_utf8_lossy(&wrong_role.stderr).contains("owner, finance, supervisor or steward"));
    for role in ["owner", "finance", "supervisor", "steward"] {
        let email = format!("{role}@door.test");
        let made = run(&[
            "create-user",
            "--org",
            &org,
            "--email",
            &email,
            "--password",
            "a-long-password",
            "--role",
            role,
        ]);
        assert!(
            made.status.success(),
            "{role}: {}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
}

#[tokio::test]
async fn adding_another_organisations_user_tells_nothing_of_their_account() {
    let app = spawn_app().await;
    let owner = app.signed_in("owner@a.test").await;
    let users_before = app.count("users").await;
    let add = |email: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            let fields = [("name", "Bob"), ("email", email), ("role", "steward")];
            let response = post(app, owner, "/team", &fields).await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };

    let elsewhere = add("owner@b.test").await;
    let in_a = add("super@a.test").await;

    assert_eq!(
        elsewhere, in_a,
        "the same answer whichever organisation has the address"
    );
    let (status, body) = elsewhere;
    assert_eq!(status, 409);
    assert!(body.contains("cannot be used"), "{body}");
    for hint in ["exist", "already", "Org B", "Bob Owner", "another organisation"] {
        assert!(!body.contains(hint), "{hint}: {body}");
    }
    assert_eq!(app.count("users").await, users_before, "nothing was added");
    let theirs = app.signed_in("owner@b.test").await;
    assert_eq!(theirs.get(app.url("/events")).send().await.unwrap().status(), 200);
}
