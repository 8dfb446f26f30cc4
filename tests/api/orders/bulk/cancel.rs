//! Cancelling a bulk job (issue 22, finding 6): an owner stops any job of the
//! organisation and a maker their own; the orders it has not reached are left as they
//! are and listed as not processed, the cancel is audited, and nobody else can cancel.

use diesel::prelude::*;
use voelgoed::db::schema::{audit_log, bulk_jobs};
use voelgoed::orders::bulk;

use crate::helpers::bulk::{finished, outcome};
use crate::helpers::orders::{held_job, place_a, HOUR, NOV_25_0030_AMSTERDAM};
use crate::helpers::{csrf_token, TestApp};

crate::helpers::on_both_backends!(
    "cancel_";
    an_owner_cancels_a_refund_job_before_it_reaches_its_orders,
    only_an_owner_or_the_maker_may_cancel_and_a_finished_job_stays_as_it_is,
);

/// A job of `maker`'s that no runner may take for a minute (as if one held it).
async fn held_for_a_minute(app: &TestApp, maker: &'static str, action: bulk::BulkAction, ids: Vec<i64>) -> i64 {
    held_job(app, maker, action, ids, 60_000).await
}

/// The runner may take the job at once.
async fn release(app: &TestApp, job: i64) {
    app.db(move |conn| {
        diesel::update(bulk_jobs::table.find(job))
            .set(bulk_jobs::lease_until.eq(0))
            .execute(conn)
            .unwrap()
    })
    .await;
}

async fn cancel(app: &TestApp, client: &reqwest::Client, job: i64) -> reqwest::Response {
    let token = csrf_token(&app.page(client, "/events").await).unwrap();
    client
        .post(app.url(&format!("/orders/jobs/{job}/cancel")))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap()
}

async fn orders_of_a(app: &TestApp, n: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let buyer = (format!("Cora {i}"), format!("cora{i}@example.test"));
        ids.push(
            place_a(app, (&buyer.0, &buyer.1), 1, NOV_25_0030_AMSTERDAM + (i + 1) * HOUR)
                .await
                .id,
        );
    }
    ids
}

async fn cancels_audited(app: &TestApp) -> i64 {
    app.db(|conn| {
        audit_log::table
            .filter(audit_log::action.eq("bulk-job-cancelled"))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

async fn an_owner_cancels_a_refund_job_before_it_reaches_its_orders(app: TestApp) {
    let owner = app.signed_in("owner@a.test").await;
    let orders = orders_of_a(&app, 3).await;
    let job = held_for_a_minute(&app, "finance@a.test", bulk::BulkAction::Refund, orders).await;
    let page = app.page(&owner, &format!("/orders/jobs/{job}")).await;
    assert!(page.contains("Cancel the job"), "an unfinished job offers the cancel");

    let response = cancel(&app, &owner, job).await;

    assert_eq!(response.status(), 303);
    release(&app, job).await;
    let page = finished(&app, &owner, &format!("/orders/jobs/{job}")).await;
    assert_eq!(
        outcome(&page, "cancelled"),
        3,
        "every order left is not processed: {page}"
    );
    assert_eq!(outcome(&page, "done"), 0);
    assert!(page.contains(": cancelled") && !page.contains("Cancel the job"));
    assert_eq!(app.count("refunds").await, 0, "no order was refunded");
    assert_eq!(cancels_audited(&app).await, 1);
}

async fn only_an_owner_or_the_maker_may_cancel_and_a_finished_job_stays_as_it_is(app: TestApp) {
    let orders = orders_of_a(&app, 2).await;
    let owners_job = held_for_a_minute(&app, "owner@a.test", bulk::BulkAction::Resend, vec![orders[0]]).await;
    let supervisors_job = held_for_a_minute(&app, "super@a.test", bulk::BulkAction::Resend, vec![orders[1]]).await;
    let finance = app.signed_in("finance@a.test").await;
    let supervisor = app.signed_in("super@a.test").await;
    let other_owner = app.signed_in("owner@b.test").await;

    assert_eq!(cancel(&app, &finance, owners_job).await.status(), 403, "not theirs");
    assert_eq!(cancel(&app, &supervisor, owners_job).await.status(), 403, "not theirs");
    assert_eq!(
        cancel(&app, &other_owner, owners_job).await.status(),
        404,
        "another organisation's"
    );
    let no_token = supervisor
        .post(app.url(&format!("/orders/jobs/{supervisors_job}/cancel")))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403, "a cancel needs the session's CSRF token");
    assert_eq!(cancel(&app, &supervisor, 987_654).await.status(), 404);
    let bad_id = supervisor.post(app.url("/orders/jobs/x7/cancel")).send().await.unwrap();
    assert!(bad_id.status().is_client_error(), "{}", bad_id.status());
    assert_eq!(cancels_audited(&app).await, 0, "nothing refused changed anything");

    assert_eq!(
        cancel(&app, &supervisor, supervisors_job).await.status(),
        303,
        "a maker may"
    );
    release(&app, owners_job).await;
    let owner = app.signed_in("owner@a.test").await;
    let page = finished(&app, &owner, &format!("/orders/jobs/{owners_job}")).await;
    assert_eq!(outcome(&page, "done"), 1);
    assert_eq!(
        cancel(&app, &owner, owners_job).await.status(),
        409,
        "nothing is left to cancel"
    );
    assert_eq!(cancels_audited(&app).await, 1);
}
