//! The organisation's "two-factor sign-in required for owners and finance", set by an
//! owner on `/team/two-factor`: from their next request an owner or finance user
//! without it gets the enrolment page and nothing else (pages, fragments, streams and
//! forms all send them there) until they enrol; supervisors and stewards go on as
//! before; and it cannot be turned off while required. SQLite and PostgreSQL.

use crate::helpers::two_factor::{audited, code, enrol, fresh_step, password_step, post};
use crate::helpers::{on_both_backends, TestApp};

/// Where a GET sends `client`: the status and the `Location`.
async fn answer(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

async fn an_owner_requires_it_and_owners_and_finance_must_enrol_before_anything_else(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    let finance = app.signed_in("finance@a.test").await;
    let supervisor = app.signed_in("super@a.test").await;
    let steward = app.signed_in("steward@a.test").await;
    let policy = "/team/two-factor";
    assert!(app
        .page(&owner, policy)
        .await
        .contains(r#"data-two-factor-policy="no""#));
    for bad in [&[("required", "maybe")][..], &[]] {
        assert_eq!(post(&app, &owner, policy, policy, bad).await.status(), 400);
    }
    assert_eq!(audited(&app, "two-factor-policy-changed").await, 0);

    let set = post(&app, &owner, policy, policy, &[("required", "yes")]).await;
    assert_eq!(set.status(), 303);
    assert_eq!(audited(&app, "two-factor-policy-changed").await, 1);

    let event = app.fixture.event_a;
    let owners_pages = [
        "/events",
        "/orders",
        "/team",
        "/team/two-factor",
        "/audit",
        "/sse/events/overview",
    ];
    for path in owners_pages
        .iter()
        .map(|p| p.to_string())
        .chain([format!("/events/{event}")])
    {
        assert_eq!(
            answer(&app, &owner, &path).await,
            (303, "/account/two-factor".into()),
            "owner: {path}"
        );
    }
    for path in ["/events", "/orders", "/orders.csv"] {
        assert_eq!(
            answer(&app, &finance, path).await,
            (303, "/account/two-factor".into()),
            "finance: {path}"
        );
    }
    let htmx = finance
        .get(app.url("/orders"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(htmx.headers()["hx-redirect"], "/account/two-factor");
    // A form is refused the same way, and changes nothing.
    let undo = post(&app, &owner, "/account/two-factor", policy, &[("required", "no")]).await;
    assert_eq!(undo.status(), 303);
    assert_eq!(undo.headers()["location"], "/account/two-factor");
    assert_eq!(audited(&app, "two-factor-policy-changed").await, 1);
    assert!(app
        .page(&owner, "/account/two-factor")
        .await
        .contains("requires two-factor sign-in of owners and finance"));

    // Supervisors and stewards are not concerned.
    assert_eq!(answer(&app, &supervisor, "/orders").await.0, 200);
    assert_eq!(answer(&app, &steward, &format!("/events/{event}/scans")).await.0, 200);
    assert!(!app
        .page(&steward, "/account/two-factor")
        .await
        .contains("requires two-factor"));

    // A fresh sign-in of finance lands on the enrolment; enrolled, everything opens.
    let (fresh, location) = password_step(&app, "finance@a.test").await;
    assert_eq!(location, "/events");
    assert_eq!(
        answer(&app, &fresh, "/events").await,
        (303, "/account/two-factor".into())
    );
    fresh_step().await;
    let (secret, _) = enrol(&app, &fresh).await;
    assert_eq!(answer(&app, &fresh, "/orders").await.0, 200);
    assert_eq!(
        answer(&app, &finance, "/orders").await.0,
        200,
        "their other session too"
    );
    // Required of their role: it stays on.
    let off = post(
        &app,
        &fresh,
        "/account/two-factor",
        "/account/two-factor/disable",
        &[("code", &code(&secret, 0))],
    )
    .await;
    assert_eq!(off.status(), 403);
    assert!(app
        .page(&fresh, "/account/two-factor")
        .await
        .contains("data-two-factor=\"on\""));

    // An owner who owes enrolment may still sign out.
    let out = post(&app, &owner, "/account/two-factor", "/logout", &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(answer(&app, &owner, "/account/two-factor").await.0, 401);
}

async fn lifting_the_policy_frees_those_who_did_not_enrol(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    let finance = app.signed_in("finance@a.test").await;
    let policy = "/team/two-factor";
    assert_eq!(
        post(&app, &owner, policy, policy, &[("required", "yes")])
            .await
            .status(),
        303
    );
    assert_eq!(answer(&app, &finance, "/orders").await.0, 303);
    // The owner enrols, then lifts it.
    fresh_step().await;
    enrol(&app, &owner).await;
    assert_eq!(
        post(&app, &owner, policy, policy, &[("required", "no")]).await.status(),
        303
    );
    assert!(app
        .page(&owner, policy)
        .await
        .contains(r#"data-two-factor-policy="no""#));
    assert_eq!(audited(&app, "two-factor-policy-changed").await, 2);
    assert_eq!(answer(&app, &finance, "/orders").await.0, 200);
}

on_both_backends!("two_factor_policy_";
    an_owner_requires_it_and_owners_and_finance_must_enrol_before_anything_else,
    lifting_the_policy_frees_those_who_did_not_enrol,
);
