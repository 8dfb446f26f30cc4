//! Control characters are refused with a 400 naming the field, on both backends: in a
//! scan's ticket code (a good scan beside it unaffected), in the order search and in the
//! sign-in form.

use crate::helpers::{batch, csrf_token, scan, TestApp};

crate::helpers::on_both_backends!("cc_"; control_characters_are_refused_naming_the_field);

async fn control_characters_are_refused_naming_the_field(app: TestApp) {
    let app = &app;
    let (token, _) = app.device_a("North").await;
    for code in ["AB\u{0}CD", "AB\u{1b}[2J", "line\nbreak", "del\u{7f}"] {
        let (status, answer) = app.post_scans(&token, &batch(vec![scan("c1", code, "in")])).await;
        assert_eq!(status, 400, "{code:?}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("scans[0].ticket_code") && error.contains("control"),
            "{error}"
        );
    }
    // A good scan in the same group as a refused one is unaffected.
    let code = app.place_order_a(1).await.ticket_codes[0].clone();
    let (status, answer) = app.post_scans(&token, &batch(vec![scan("ok", &code, "in")])).await;
    assert_eq!((status, answer["results"][0]["result"].as_str()), (200, Some("valid")));
    assert_eq!(app.count("scans").await, 1);

    let owner = app.signed_in(&app.fixture.owner_a).await;
    let search = owner
        .get(app.url("/orders?q=anna%00smith"))
        .send()
        .await
        .expect("search");
    assert_eq!(search.status(), 400);
    assert!(search
        .text()
        .await
        .expect("body")
        .contains("The search text must not contain control characters"));

    let client = app.client();
    let page = app.page(&client, "/login").await;
    let csrf = csrf_token(&page).expect("csrf");
    let response = client
        .post(app.url("/login"))
        .form(&[("email", "owner@a.test\u{0}"), ("password", "x"), ("csrf_token", &csrf)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 400);
    assert!(response
        .text()
        .await
        .expect("body")
        .contains("The e-mail address must not contain control characters"));
}
