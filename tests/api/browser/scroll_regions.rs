//! Every table that scrolls sideways on a phone is a region a keyboard can reach and a
//! screen reader names (axe's `scrollable-region-focusable`, found on the monitor's
//! device table and `/audit`: issue 27), on every page that has one.

use crate::helpers::orders::{place_a, NOV_25_0030_AMSTERDAM};
use crate::helpers::spawn_app;

#[tokio::test]
async fn every_sideways_scrolling_table_is_focusable_and_labelled() {
    let app = spawn_app().await;
    let order = place_a(&app, ("Sam Scroll", "sam@example.test"), 2, NOV_25_0030_AMSTERDAM).await;
    app.device_a("North").await;
    let owner = app.signed_in("owner@a.test").await;
    let event = app.fixture.event_a;
    let pages = [
        "/audit".to_owned(),
        "/orders".to_owned(),
        format!("/orders/{}", order.id),
        format!("/events/{event}/scans"),
        format!("/events/{event}/door?code={}", order.ticket_codes[0]),
    ];
    let regions = scraper::Selector::parse(".table-scroll").unwrap();
    let mut seen = 0;
    for path in pages {
        let page = scraper::Html::parse_document(&app.page(&owner, &path).await);
        for region in page.select(&regions) {
            seen += 1;
            let (tabindex, label) = (region.value().attr("tabindex"), region.value().attr("aria-label"));
            assert_eq!(tabindex, Some("0"), "{path}: a scrolling table a keyboard cannot reach");
            assert!(
                label.is_some_and(|l| !l.is_empty()),
                "{path}: an unnamed scrolling region"
            );
            assert_eq!(region.value().attr("role"), Some("region"), "{path}");
        }
    }
    assert!(seen >= 5, "the pages hold their tables: {seen}");
}
