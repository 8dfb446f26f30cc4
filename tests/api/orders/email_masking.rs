//! Buyers' addresses stay masked for the roles that see them masked (issue 22, finding
//! 5): in the order page's audit lines and in the outbox's "Last error", and the order
//! search matches an address for them only when it is typed whole, so it is no oracle
//! for the addresses' parts. Finance and owners see and search as before.

use diesel::prelude::*;
use voelgoed::db::schema::email_outbox;

use crate::helpers::orders::{place_a, resend, NOV_25_0030_AMSTERDAM};
use crate::helpers::{text_of, TestApp};

const ADDRESS: &str = "vera.okafor116@example.test";
const MASKED: &str = "v•••@example.test";

crate::helpers::on_both_backends!(
    "masking_";
    audit_lines_and_delivery_errors_are_masked_for_a_supervisor,
    a_supervisor_finds_a_buyer_by_name_or_whole_address_but_not_by_parts_of_it,
);

async fn audit_lines_and_delivery_errors_are_masked_for_a_supervisor(app: TestApp) {
    let order = place_a(&app, ("Vera Okafor", ADDRESS), 1, NOV_25_0030_AMSTERDAM).await;
    let owner = app.signed_in("owner@a.test").await;
    assert_eq!(resend(&app, &owner, order.id).await.status(), 303);
    let error = format!("550 5.1.1 <{ADDRESS}>: mailbox unavailable");
    app.db(move |conn| {
        diesel::update(email_outbox::table)
            .set(email_outbox::last_error.eq(Some(error)))
            .execute(conn)
            .unwrap()
    })
    .await;
    let path = format!("/orders/{}", order.id);

    let supervisors = app.page(&app.signed_in("super@a.test").await, &path).await;
    let finances = app.page(&app.signed_in("finance@a.test").await, &path).await;

    assert!(!supervisors.contains(ADDRESS), "no full address anywhere on the page");
    assert!(
        supervisors.contains(&format!("queued to {MASKED}")),
        "the audit line, masked"
    );
    let last_error = text_of(&supervisors, "[data-last-error]").unwrap();
    assert!(last_error.contains(&format!("<{MASKED}>")), "{last_error}");
    assert!(
        finances.contains(&format!("queued to {ADDRESS}")),
        "finance sees the address"
    );
    assert!(text_of(&finances, "[data-last-error]").unwrap().contains(ADDRESS));
}

/// The order codes the list shows for `q`, as `who`.
async fn found(app: &TestApp, who: &reqwest::Client, q: &str) -> usize {
    let query = serde_urlencoded::to_string([("q", q)]).unwrap();
    let page = app.page(who, &format!("/orders?{query}")).await;
    page.matches(r#"role="row" data-order="#).count()
}

async fn a_supervisor_finds_a_buyer_by_name_or_whole_address_but_not_by_parts_of_it(app: TestApp) {
    place_a(&app, ("Vera Okafor", ADDRESS), 1, NOV_25_0030_AMSTERDAM).await;
    let supervisor = app.signed_in("super@a.test").await;
    let finance = app.signed_in("finance@a.test").await;

    for part in ["okafor116", "vera.okafor", "vera.okafor116@", "example.test", "vera.o"] {
        assert_eq!(
            found(&app, &supervisor, part).await,
            0,
            "{part:?} is a part of the address"
        );
        assert_eq!(
            found(&app, &finance, part).await,
            1,
            "finance searches addresses: {part:?}"
        );
    }
    for whole in [ADDRESS, "Vera.Okafor116@Example.test", "vera", "Okafor", "vera okafor"] {
        assert_eq!(found(&app, &supervisor, whole).await, 1, "{whole:?}");
    }
}
