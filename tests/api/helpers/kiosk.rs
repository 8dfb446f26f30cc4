//! Kiosk links, made through the owner's page.

use super::{csrf_token, TestApp};

pub fn links(app: &TestApp) -> String {
    format!("/events/{}/kiosk-links", app.fixture.event_a)
}

/// Creates a kiosk link as owner A (optionally for a gate) and returns its path.
pub async fn create_link(app: &TestApp, client: &reqwest::Client, gate: &str) -> String {
    let page = app.page(client, &links(app)).await;
    let token = csrf_token(&page).unwrap();
    let response = client
        .post(app.url(&links(app)))
        .form(&[("csrf_token", token.as_str()), ("gate", gate)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let start = page.find("/kiosk/").expect("the new link is shown once");
    page[start..].split('"').next().unwrap().to_owned()
}
