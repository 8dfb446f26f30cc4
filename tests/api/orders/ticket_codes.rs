//! An order's tickets as QR codes (`/orders/{id}/tickets`): each ticket's code as a QR
//! that decodes to the code itself, linked from the order page; another organisation's
//! order is missing.

use crate::helpers::{spawn_app, text_of};

#[tokio::test]
async fn each_ticket_is_a_qr_code_of_its_own_code_linked_from_the_order() {
    let app = spawn_app().await;
    let placed = app.sell_tickets_a(3).await;
    let client = app.signed_in("owner@a.test").await;
    let order_page = app.page(&client, &format!("/orders/{}", placed.id)).await;
    assert!(order_page.contains(&format!("/orders/{}/tickets", placed.id)));

    let page = app.page(&client, &format!("/orders/{}/tickets", placed.id)).await;
    let document = scraper::Html::parse_document(&page);
    let cards = scraper::Selector::parse("li[data-ticket]").unwrap();
    let shown: Vec<String> = document
        .select(&cards)
        .map(|card| card.value().attr("data-ticket").unwrap().to_owned())
        .collect();
    assert_eq!(shown.len(), 3);
    for code in &placed.ticket_codes {
        assert!(shown.contains(code), "{code}");
        let label = format!(r#"aria-label="QR code of ticket {code}""#);
        assert!(page.contains(&label), "each QR code says whose it is");
    }
    // The drawing is of the code: the same code drawn here matches the page's path.
    let drawn = qrcode::QrCode::new(placed.ticket_codes[0].as_bytes()).unwrap();
    let svg = drawn
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    let path = &svg[svg.find(" d=\"").unwrap()..];
    assert!(
        page.contains(&path[..path.find('"').unwrap() + 40.min(path.len())]),
        "the page draws the code"
    );

    let other = app.signed_in("owner@b.test").await;
    let refused = other
        .get(app.url(&format!("/orders/{}/tickets", placed.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    assert!(text_of(&refused.text().await.unwrap(), "main").is_some());
}
