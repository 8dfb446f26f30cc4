//! Two-factor sign-in as a person does it: the key read off the enrolment page, codes
//! computed from it with totp-rs as an authenticator app would, the code step.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::prelude::*;
use totp_rs::{Algorithm, Builder, Secret};
use voelgoed::db::schema::audit_log;

use super::{csrf_token, text_of, TestApp, PASSWORD};

/// Seconds since the epoch.
fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Waits, when the current 30-second step has less than 10 s left, for the next one:
/// a test then uses the codes of the steps before, of and after it (the server accepts
/// one step either way) without the step moving under it.
pub async fn fresh_step() {
    let into = now() % 30;
    if into > 20 {
        tokio::time::sleep(Duration::from_secs(30 - into)).await;
    }
}

/// The code an authenticator app with `secret` shows `steps` steps from now.
pub fn code(secret: &str, steps: i64) -> String {
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let at = now().checked_add_signed(steps * 30).unwrap();
    totp.generate(at).to_string()
}

/// A form posted with the CSRF token of `page_path`'s page.
pub async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    page_path: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = csrf_token(&app.page(client, page_path).await).unwrap();
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    client.post(app.url(path)).form(&form).send().await.unwrap()
}

/// The key written out on the enrolment page, without its spaces.
pub fn secret_on(page: &str) -> String {
    text_of(page, "code[data-secret]").unwrap().replace(' ', "")
}

/// Enrols `client`'s user with the code of the step before now (so the steps of now
/// and after are left for signing in): the key and the recovery codes shown.
pub async fn enrol(app: &TestApp, client: &reqwest::Client) -> (String, Vec<String>) {
    let page = app.page(client, "/account/two-factor").await;
    let secret = secret_on(&page);
    let confirmed = post(
        app,
        client,
        "/account/two-factor",
        "/account/two-factor",
        &[("code", &code(&secret, -1))],
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    let page = confirmed.text().await.unwrap();
    let html = scraper::Html::parse_document(&page);
    let selector = scraper::Selector::parse("code[data-recovery-code]").unwrap();
    let codes = html.select(&selector).map(|e| e.text().collect::<String>()).collect();
    (secret, codes)
}

/// Signs in with the password: the client (now waiting for its code) and where it was sent.
pub async fn password_step(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = app.client();
    let answer = app.sign_in(&client, email, PASSWORD).await;
    assert_eq!(answer.status(), 303);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    (client, location)
}

/// Posts a code on the code step.
pub async fn code_step(app: &TestApp, client: &reqwest::Client, code: &str) -> reqwest::Response {
    post(
        app,
        client,
        "/login/code",
        "/login/code",
        &[("code", code), ("next", "/orders")],
    )
    .await
}

pub async fn audited(app: &TestApp, action: &'static str) -> i64 {
    app.db(move |conn| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}
