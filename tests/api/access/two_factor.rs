//! Two-factor sign-in through the real sign-in: a user enrols on `/account/two-factor`
//! (the test reads the key off the page and computes codes from it with totp-rs, as an
//! authenticator app would), then signing in needs a code; wrong and reused codes are
//! refused, a recovery code works once, wrong codes are throttled, bad input is a 400
//! that changes nothing, and `admin reset-2fa` clears it. SQLite and PostgreSQL. The
//! organisation's policy is `two_factor_policy.rs`.

use diesel::prelude::*;
use voelgoed::db::schema::{sign_in_attempts, two_factor};

use crate::helpers::two_factor::{audited, code, code_step, enrol, fresh_step, password_step, post, secret_on};
use crate::helpers::{on_both_backends, text_of, voelgoed, TestApp, PASSWORD};

async fn status(app: &TestApp, client: &reqwest::Client, path: &str) -> u16 {
    client.get(app.url(path)).send().await.unwrap().status().as_u16()
}

async fn enrolment_shows_a_qr_code_and_the_key_and_then_sign_in_needs_the_code(app: TestApp) {
    fresh_step().await;
    let owner = app.signed_in("owner@a.test").await;
    let page = app.page(&owner, "/account/two-factor").await;
    assert!(
        page.contains("<svg role=\"img\" aria-label=\"QR code"),
        "an inline SVG with a text alternative"
    );
    assert!(!page.contains("<?xml"));
    let shown = text_of(&page, "code[data-secret]").unwrap();
    assert_eq!(shown.split(' ').count(), 8, "the key in groups of four: {shown}");
    assert_eq!(
        secret_on(&app.page(&owner, "/account/two-factor").await),
        secret_on(&page),
        "a reload keeps the key"
    );

    let (secret, recovery) = enrol(&app, &owner).await;
    assert_eq!(recovery.len(), 10);
    assert!(app
        .page(&owner, "/account/two-factor")
        .await
        .contains("data-two-factor=\"on\""));
    assert_eq!(audited(&app, "two-factor-enrolled").await, 1);
    let stored = app
        .db(|conn| {
            two_factor::table
                .select(two_factor::secret)
                .first::<String>(conn)
                .unwrap()
        })
        .await;
    assert_eq!(stored, secret);

    let (client, location) = password_step(&app, "owner@a.test").await;
    assert_eq!(location, "/login/code?next=%2Fevents");
    for path in ["/events", "/orders", "/account/two-factor", "/team"] {
        assert_eq!(status(&app, &client, path).await, 401, "{path} before the code");
    }
    let wrong = code_step(
        &app,
        &client,
        if code(&secret, 0) == "000000" {
            "111111"
        } else {
            "000000"
        },
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(status(&app, &client, "/events").await, 401);
    let right = code_step(&app, &client, &code(&secret, 0)).await;
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()["location"], "/orders");
    assert_eq!(status(&app, &client, "/events").await, 200);
    assert_eq!(
        status(&app, &client, "/login/code").await,
        401,
        "the waiting session is gone"
    );
    assert_eq!(audited(&app, "two-factor-failed").await, 1);
    assert_eq!(
        audited(&app, "sign-in").await,
        2,
        "the first sign-in and this one, once its code was right"
    );
}

async fn a_code_is_accepted_once_and_older_ones_never(app: TestApp) {
    fresh_step().await;
    let owner = app.signed_in("owner@a.test").await;
    let (secret, _) = enrol(&app, &owner).await;
    let (first, _) = password_step(&app, "owner@a.test").await;
    assert_eq!(code_step(&app, &first, &code(&secret, 0)).await.status(), 303);

    let (second, _) = password_step(&app, "owner@a.test").await;
    for (used, why) in [(0, "the same code again"), (-1, "the enrolment's code")] {
        let replayed = code_step(&app, &second, &code(&secret, used)).await;
        assert_eq!(replayed.status(), 401, "{why}");
        assert!(replayed.text().await.unwrap().contains("used already"));
    }
    assert_eq!(status(&app, &second, "/events").await, 401);
    assert_eq!(
        code_step(&app, &second, &code(&secret, 1)).await.status(),
        303,
        "the next step's code"
    );
    assert_eq!(status(&app, &second, "/events").await, 200);
}

async fn a_recovery_code_signs_in_once(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    fresh_step().await;
    let (_, recovery) = enrol(&app, &owner).await;
    let (client, _) = password_step(&app, "owner@a.test").await;
    // As typed: upper case, without its dashes.
    let typed = recovery[3].to_uppercase().replace('-', " ");
    assert_eq!(code_step(&app, &client, &typed).await.status(), 303);
    assert_eq!(status(&app, &client, "/events").await, 200);
    assert_eq!(audited(&app, "recovery-code-used").await, 1);

    let (again, _) = password_step(&app, "owner@a.test").await;
    assert_eq!(code_step(&app, &again, &recovery[3]).await.status(), 401, "used up");
    assert_eq!(
        code_step(&app, &again, &recovery[4]).await.status(),
        303,
        "another one works"
    );
    assert!(app
        .page(&again, "/account/two-factor")
        .await
        .contains("8 unused recovery codes"));
}

async fn wrong_codes_are_throttled_per_account_and_address(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    fresh_step().await;
    let (secret, _) = enrol(&app, &owner).await;
    let wrong = if code(&secret, 0) == "123456" {
        "654321"
    } else {
        "123456"
    };
    let (client, _) = password_step(&app, "owner@a.test").await;
    for attempt in 1..=5 {
        assert_eq!(
            code_step(&app, &client, wrong).await.status(),
            401,
            "wrong code {attempt}"
        );
    }
    let refused = code_step(&app, &client, &code(&secret, 0)).await;
    assert_eq!(refused.status(), 429, "even the right code, once throttled");
    assert!(refused.text().await.unwrap().contains("Too many wrong codes"));
    // Another sign-in from the same address is throttled at its code too.
    let (other, _) = password_step(&app, "owner@a.test").await;
    assert_eq!(code_step(&app, &other, &code(&secret, 0)).await.status(), 429);
    assert_eq!(status(&app, &other, "/events").await, 401);
    assert_eq!(audited(&app, "two-factor-failed").await, 5);
    // The password step has its own count: still open.
    assert_eq!(app.sign_in(&app.client(), "owner@a.test", PASSWORD).await.status(), 303);
}

async fn bad_codes_are_a_clear_400_and_change_nothing(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    fresh_step().await;
    let long = "1".repeat(65);
    let bad: [(&str, &str); 5] = [
        ("", "6-digit"),
        ("12a4z6", "digits only"),
        ("12345", "exactly 6 digits"),
        ("1234567", "exactly 6 digits"),
        (&long, "too long"),
    ];
    for (typed, says) in bad {
        let refused = post(
            &app,
            &owner,
            "/account/two-factor",
            "/account/two-factor",
            &[("code", typed)],
        )
        .await;
        assert_eq!(refused.status(), 400, "enrolment with {typed:?}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(says), "{typed:?}: {body}");
        assert!(body.contains("data-secret"), "the enrolment page again");
    }
    assert!(app
        .page(&owner, "/account/two-factor")
        .await
        .contains("data-two-factor=\"enrolling\""));

    let (secret, _) = enrol(&app, &owner).await;
    let (client, _) = password_step(&app, "owner@a.test").await;
    for (typed, says) in bad {
        let refused = code_step(&app, &client, typed).await;
        assert_eq!(refused.status(), 400, "code step with {typed:?}");
        assert!(refused.text().await.unwrap().contains(says));
    }
    let no_field = post(&app, &client, "/login/code", "/login/code", &[]).await;
    assert_eq!(no_field.status(), 400);
    let counted: i64 = app
        .db(|conn| {
            sign_in_attempts::table
                .filter(sign_in_attempts::step.eq("code"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(counted, 1, "only the enrolment's code was counted");
    assert_eq!(audited(&app, "two-factor-failed").await, 0);
    assert_eq!(status(&app, &client, "/events").await, 401);
    assert_eq!(code_step(&app, &client, &code(&secret, 0)).await.status(), 303);
}

async fn turning_it_off_needs_a_code(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    fresh_step().await;
    let (secret, _) = enrol(&app, &owner).await;
    let wrong = if code(&secret, 0) == "123456" {
        "654321"
    } else {
        "123456"
    };
    let kept = post(
        &app,
        &owner,
        "/account/two-factor",
        "/account/two-factor/disable",
        &[("code", wrong)],
    )
    .await;
    assert_eq!(kept.status(), 403);
    let bad = post(
        &app,
        &owner,
        "/account/two-factor",
        "/account/two-factor/disable",
        &[("code", "x")],
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert!(app
        .page(&owner, "/account/two-factor")
        .await
        .contains("data-two-factor=\"on\""));

    let off = post(
        &app,
        &owner,
        "/account/two-factor",
        "/account/two-factor/disable",
        &[("code", &code(&secret, 0))],
    )
    .await;
    assert_eq!(off.status(), 303);
    assert_eq!(audited(&app, "two-factor-disabled").await, 1);
    let (_, location) = password_step(&app, "owner@a.test").await;
    assert_eq!(location, "/events", "no code step any more");
    assert_eq!(app.count("recovery_codes").await, 0);
}

async fn admin_reset_2fa_clears_it_and_ends_the_sessions(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    fresh_step().await;
    enrol(&app, &owner).await;
    let user = app
        .db(|conn| {
            two_factor::table
                .select(two_factor::user_id)
                .first::<i64>(conn)
                .unwrap()
        })
        .await;
    let database = match &app.services.settings.database {
        voelgoed::db::DatabaseUrl::Sqlite(url) | voelgoed::db::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let run = |user: i64| {
        let database = database.clone();
        tokio::task::spawn_blocking(move || {
            voelgoed(&[
                "admin",
                "reset-2fa",
                "--database",
                &database,
                "--user",
                &user.to_string(),
            ])
        })
    };
    let reset = run(user).await.unwrap();
    assert!(reset.status.success(), "{}", String::from_utf8_lossy(&reset.stderr));
    assert!(String::from_utf8_lossy(&reset.stdout).contains("1 sessions ended"));
    assert_eq!(status(&app, &owner, "/events").await, 401, "the session ended");
    assert_eq!(app.count("two_factor").await, 0);
    assert_eq!(app.count("recovery_codes").await, 0);
    assert_eq!(audited(&app, "two-factor-reset").await, 1);
    let (_, location) = password_step(&app, "owner@a.test").await;
    assert_eq!(location, "/events", "the password alone signs in again");

    let unknown = run(987_654).await.unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user 987654"));
}

on_both_backends!("two_factor_";
    enrolment_shows_a_qr_code_and_the_key_and_then_sign_in_needs_the_code,
    a_code_is_accepted_once_and_older_ones_never,
    a_recovery_code_signs_in_once,
    wrong_codes_are_throttled_per_account_and_address,
    bad_codes_are_a_clear_400_and_change_nothing,
    turning_it_off_needs_a_code,
    admin_reset_2fa_clears_it_and_ends_the_sessions,
);
