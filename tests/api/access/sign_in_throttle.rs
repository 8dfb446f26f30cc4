//! Sign-in throttling: per account and address, per address, atomic under parallel
//! guesses, and no lock-out of the owner by someone failing on purpose elsewhere.

use crate::helpers::{csrf_token, spawn_app, spawn_app_with, TestApp, PASSWORD};

/// Signs in as `email` with the request seeming to come from `address` (through the
/// trusted proxy on 127.0.0.1): the status.
async fn sign_in_from(app: &TestApp, address: &str, email: &str, password: &str) -> u16 {
    let client = app.client();
    let page = client
        .get(app.url("/login"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&page).unwrap();
    client
        .post(app.url("/login"))
        .header("x-forwarded-for", address)
        .form(&[("email", email), ("password", password), ("csrf_token", &token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn behind_proxy() -> TestApp {
    spawn_app_with(|s| {
        s.trusted_proxies = voelgoed::config::TrustedProxies::parse(&["127.0.0.1".into()]).unwrap();
    })
    .await
}

#[tokio::test]
async fn forty_parallel_wrong_guesses_get_no_more_than_five_password_checks() {
    let app = spawn_app().await;
    let guesses = (0..40).map(|i| {
        let app = &app;
        async move {
            app.sign_in(&app.client(), "owner@a.test", &format!("guess {i}"))
                .await
                .status()
                .as_u16()
        }
    });

    let statuses = futures_util::future::join_all(guesses).await;

    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 5, "{checked} guesses were checked: {statuses:?}");
    assert_eq!(checked + refused, 40, "only 401 or 429: {statuses:?}");
    assert_eq!(app.count("sessions").await, 0);
}

#[tokio::test]
async fn someone_failing_elsewhere_does_not_lock_the_owner_out() {
    let app = behind_proxy().await;
    // The owner's usual place.
    assert_eq!(sign_in_from(&app, "198.51.100.7", "owner@a.test", PASSWORD).await, 303);

    for _ in 0..5 {
        assert_eq!(sign_in_from(&app, "203.0.113.66", "owner@a.test", "guess").await, 401);
    }
    assert_eq!(
        sign_in_from(&app, "203.0.113.66", "owner@a.test", PASSWORD).await,
        429,
        "the guessing address is locked out, even with the right password"
    );

    assert_eq!(sign_in_from(&app, "198.51.100.7", "owner@a.test", PASSWORD).await, 303);
    assert_eq!(
        sign_in_from(&app, "192.0.2.10", "owner@a.test", PASSWORD).await,
        303,
        "and from a new place"
    );
}

#[tokio::test]
async fn many_guessing_addresses_close_the_account_except_to_its_known_addresses() {
    let app = behind_proxy().await;
    assert_eq!(sign_in_from(&app, "198.51.100.7", "owner@a.test", PASSWORD).await, 303);
    // 20 addresses × 5 failures, in parallel: the account-wide cap of 100 is reached.
    let guessers = (1..=20).map(|host| {
        let app = &app;
        async move {
            for _ in 0..5 {
                let address = format!("203.0.113.{host}");
                assert_eq!(sign_in_from(app, &address, "owner@a.test", "guess").await, 401);
            }
        }
    });
    futures_util::future::join_all(guessers).await;

    assert_eq!(sign_in_from(&app, "192.0.2.10", "owner@a.test", PASSWORD).await, 429);
    assert_eq!(sign_in_from(&app, "198.51.100.7", "owner@a.test", PASSWORD).await, 303);
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_throttled_for_all_of_them() {
    let app = behind_proxy().await;
    for i in 0..30 {
        let status = sign_in_from(&app, "203.0.113.9", &format!("user{i}@a.test"), "guess").await;
        assert_eq!(status, 401, "guess {i}");
    }

    assert_eq!(sign_in_from(&app, "203.0.113.9", "owner@b.test", PASSWORD).await, 429);
    assert_eq!(sign_in_from(&app, "203.0.113.10", "owner@b.test", PASSWORD).await, 303);
}

/// Issue 22: one IPv6 subscriber holds a whole /64 and rotates through it at will, so
/// the throttle counts the /64; the audit log still names each address.
#[tokio::test]
async fn an_ipv6_client_rotating_within_its_64_is_one_address_to_the_throttle() {
    let app = behind_proxy().await;
    for i in 0..5 {
        let address = format!("2001:db8:1:2::{:x}", 0x100 + i);
        assert_eq!(
            sign_in_from(&app, &address, "owner@a.test", "guess").await,
            401,
            "{address}"
        );
    }

    let rotated = sign_in_from(&app, "2001:db8:1:2:ffff:1:2:3", "owner@a.test", PASSWORD).await;
    let neighbour = sign_in_from(&app, "2001:db8:1:3::1", "owner@a.test", PASSWORD).await;

    assert_eq!(rotated, 429, "another address of the same /64");
    assert_eq!(neighbour, 303, "the next /64 is someone else");
    let audited = failed_sign_ins_audited(&app).await;
    assert!(audited.contains(&"from 2001:db8:1:2::101".to_owned()), "{audited:?}");
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_app().await;
    for i in 0..5 {
        // A client rotating X-Forwarded-For is still one address.
        let status = sign_in_from(&app, &format!("203.0.113.{i}"), "owner@a.test", "guess").await;
        assert_eq!(status, 401);
    }

    assert_eq!(sign_in_from(&app, "203.0.113.99", "owner@a.test", PASSWORD).await, 429);
}

#[tokio::test]
async fn a_success_clears_that_addresses_failures() {
    let app = spawn_app().await;
    for _ in 0..4 {
        assert_eq!(app.sign_in(&app.client(), "owner@a.test", "typo").await.status(), 401);
    }
    assert_eq!(app.sign_in(&app.client(), "owner@a.test", PASSWORD).await.status(), 303);

    for _ in 0..5 {
        assert_eq!(app.sign_in(&app.client(), "owner@a.test", "typo").await.status(), 401);
    }
}

#[tokio::test]
async fn a_client_cannot_choose_its_throttle_bucket_or_its_audited_address_behind_a_proxy() {
    let app = behind_proxy().await;
    // nginx appends the real address after whatever the client sent: junk the client
    // wrote, then an address of its choice each try, must not be where the walk stops.
    for i in 0..5 {
        let forwarded = format!("198.51.100.{i}, x, 203.0.113.9");
        assert_eq!(sign_in_from(&app, &forwarded, "owner@a.test", "guess").await, 401);
    }

    let sixth = sign_in_from(&app, "198.51.100.77, unknown, 203.0.113.9", "owner@a.test", PASSWORD).await;

    assert_eq!(sixth, 429, "every try came from 203.0.113.9");
    let audited = failed_sign_ins_audited(&app).await;
    assert_eq!(audited.len(), 5);
    assert!(
        audited
            .iter()
            .all(|d| d.contains("203.0.113.9") && !d.contains("198.51.100.")),
        "{audited:?}"
    );
}

/// The details of every failed sign-in the audit log holds ("from ADDRESS").
async fn failed_sign_ins_audited(app: &TestApp) -> Vec<String> {
    app.db(|conn| {
        use diesel::prelude::*;
        use voelgoed::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("sign-in-failed"))
            .select(audit_log::details)
            .load(conn)
            .unwrap()
    })
    .await
}
