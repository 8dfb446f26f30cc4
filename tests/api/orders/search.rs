//! The order search through `GET /orders?q=` on SQLite and on PostgreSQL: any word of
//! the buyer's name, any part of the e-mail, the order code and the ticket code as
//! printed, accents not mattering, one typo in a name of four letters or more (not two,
//! not in shorter ones), only the organisation's own orders, the index following new
//! orders and refunds, the list's other filters, paging and export kept. Hostile search
//! text: `bad_input/orders.rs`.

use crate::helpers::orders::{codes_in, href_of, place, place_a, refund_through_confirmation, NOV_25_0030_AMSTERDAM};
use crate::helpers::TestApp;

crate::helpers::on_both_backends!(
    "os_";
    search_finds_the_buyer,
    search_follows_writes_and_keeps_filters_and_pages,
    bulk_loaded_orders_are_found_and_later_sales_too,
);

/// The codes `/orders?q=…` lists for org A's owner.
async fn search(app: &TestApp, client: &reqwest::Client, q: &str) -> Vec<String> {
    let query = serde_urlencoded::to_string([("q", q)]).unwrap();
    codes_in(&app.page(client, &format!("/orders?{query}")).await)
}

async fn search_finds_the_buyer(app: TestApp) {
    let app = &app;
    let at = NOV_25_0030_AMSTERDAM;
    let merwe = place_a(app, ("Jan van der Merwe", "jan.vandermerwe@gmail.com"), 2, at).await;
    let chloe = place_a(app, ("Chloé Müller", "chloe.m@example.test"), 1, at + 1).await;
    let jansen = place_a(app, ("Bram Jansen", "bram@example.test"), 1, at + 2).await;
    let ali = place_a(app, ("Sam Ali", "sam@example.test"), 1, at + 3).await;
    let (b, event_b, type_b) = (app.fixture.org_b, app.fixture.event_b, app.fixture.ticket_type_b);
    let other_org = place(app, b, event_b, type_b, ("Bram Jansen", "bram@gmail.com"), 1, at + 4).await;
    let client = app.signed_in("owner@a.test").await;
    let one = |order: &voelgoed::orders::PlacedOrder| vec![order.code.clone()];

    for (q, expected, what) in [
        ("Merwe", one(&merwe), "a surname"),
        ("van der merwe", one(&merwe), "every word of a name"),
        (
            "JAN",
            vec![jansen.code.clone(), merwe.code.clone()],
            "a word in any case",
        ),
        ("vanderm", one(&merwe), "a part of the e-mail before the @"),
        ("gmail", one(&merwe), "a part of the e-mail after the @"),
        ("@gmail.com", one(&merwe), "the domain with its @"),
        ("jan.vandermerwe@gmail.com", one(&merwe), "the whole e-mail"),
        (&merwe.code.to_lowercase(), one(&merwe), "the order code in lower case"),
        (&merwe.code[3..], one(&merwe), "the order code without VG-"),
        (&merwe.ticket_codes[1], one(&merwe), "a ticket code"),
        ("chloe", one(&chloe), "an accented name typed without accents"),
        ("MULLER", one(&chloe), "ü typed as u"),
        ("Müller", one(&chloe), "the accents as stored"),
        ("jnasen", one(&jansen), "a name with two letters swapped"),
        ("jansn", one(&jansen), "a name with a letter left out"),
        ("janssen", one(&jansen), "a name with a letter too many"),
        ("jamsen", one(&jansen), "a name with a wrong letter"),
        ("bram jnasen", one(&jansen), "a typo next to a right word"),
        ("mulle", one(&chloe), "the start of a word"),
    ] {
        assert_eq!(search(app, &client, q).await, expected, "{what}: {q:?}");
    }
    let printed = |code: &str, sep: &str| {
        let chars: Vec<char> = code.to_lowercase().chars().collect();
        chars
            .chunks(5)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(sep)
    };
    for typed in [
        printed(&chloe.ticket_codes[0], "-"),
        printed(&chloe.ticket_codes[0], " "),
    ] {
        assert_eq!(
            search(app, &client, &typed).await,
            one(&chloe),
            "ticket code as printed: {typed}"
        );
    }

    for (q, what) in [
        ("jnasn", "two typos"),
        ("aly", "a typo in a 3-letter name"),
        ("sma", "a typo in a 3-letter name"),
        (
            &merwe.ticket_codes[0][..12],
            "part of a ticket code (only whole codes match)",
        ),
        (&other_org.ticket_codes[0], "another organisation's ticket code"),
        (&other_org.code, "another organisation's order code"),
    ] {
        assert!(search(app, &client, q).await.is_empty(), "{what}: {q:?} finds nothing");
    }
    assert_eq!(search(app, &client, "ali").await, one(&ali), "a 3-letter name as typed");
    for q in ["jansen", "jnasen", "bram", "gmail"] {
        let found = search(app, &client, q).await;
        assert!(
            !found.contains(&other_org.code),
            "{q}: another organisation's buyer never shows"
        );
    }
    let client_b = app.signed_in("owner@b.test").await;
    assert_eq!(
        search(app, &client_b, "jansen").await,
        one(&other_org),
        "org B finds its own"
    );
}

async fn search_follows_writes_and_keeps_filters_and_pages(app: TestApp) {
    let app = &app;
    let at = NOV_25_0030_AMSTERDAM;
    let first = place_a(app, ("Pieter Botha", "pieter@example.test"), 2, at).await;
    let client = app.signed_in("owner@a.test").await;
    assert_eq!(search(app, &client, "botha").await, vec![first.code.clone()]);

    let second = place_a(app, ("Thandi Botha", "thandi@example.test"), 1, at + 1).await;
    assert_eq!(
        search(app, &client, "bohta").await,
        vec![second.code.clone(), first.code.clone()],
        "a new order is searchable at once, with a typo too"
    );
    let refund = refund_through_confirmation(app, &client, first.id, "scope=all").await;
    assert_eq!(refund.status(), 303);
    let status = |s: &str| format!("/orders?q=botha&status={s}");
    assert_eq!(
        codes_in(&app.page(&client, &status("refunded")).await),
        vec![first.code.clone()]
    );
    assert_eq!(
        codes_in(&app.page(&client, &status("paid")).await),
        vec![second.code.clone()]
    );
    let event = format!(
        "/orders?q=botha&event={}&from=2026-11-25&to=2026-11-25",
        app.fixture.event_a
    );
    assert_eq!(codes_in(&app.page(&client, &event).await).len(), 2);
    let other_day = "/orders?q=botha&from=2026-11-26&to=2026-11-27";
    assert!(codes_in(&app.page(&client, other_day).await).is_empty());

    for n in 0..55 {
        place_a(app, ("Bulk Naidoo", "bulk@example.test"), 1, at + 100 + n).await;
    }
    let page_one = app.page(&client, "/orders?q=naidoo").await;
    let page_two = app.page(&client, &href_of(&page_one, "#load-more a").unwrap()).await;
    let (one, two) = (codes_in(&page_one), codes_in(&page_two));
    assert_eq!((one.len(), two.len()), (50, 5), "keyset pages of a search");
    assert!(one.iter().all(|c| !two.contains(c)), "no order on both pages");
    let csv = app.page(&client, "/orders.csv?q=bohta").await;
    assert_eq!(
        csv.lines().count(),
        1 + 3,
        "the export keeps the search: 3 tickets\n{csv}"
    );
    assert!(csv.contains(&first.code) && csv.contains(&second.code));
}

/// The seeder pauses SQLite's index trigger and rebuilds the index at its end.
async fn bulk_loaded_orders_are_found_and_later_sales_too(app: TestApp) {
    let app = &app;
    app.bulk_seed(300, 1).await;
    let seeded = app.signed_in_as("owner@seed-1.test", "seed-owner").await;
    assert!(!search(app, &seeded, "jansen").await.is_empty(), "a seeded surname");
    assert!(
        !search(app, &seeded, "jnasen").await.is_empty(),
        "a seeded surname with a typo"
    );
    let later = place_a(app, ("Zola Khumalo", "zola@example.test"), 1, NOV_25_0030_AMSTERDAM).await;
    let client = app.signed_in("owner@a.test").await;
    assert_eq!(search(app, &client, "khumalo").await, vec![later.code]);
}
