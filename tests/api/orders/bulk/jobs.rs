//! Bulk actions as jobs, through HTTP on both backends: the list's form, the job a POST
//! makes (once per form key), the runner's work per order (outbox rows, audit rows,
//! refunds, refusals with their reasons), the live progress, the job page after a
//! reload, roles, tenancy, bad input, an export's CSV and a job left by a stopped runner.

use std::time::Duration;

use diesel::prelude::*;
use voelgoed::db::schema::{audit_log, bulk_jobs, orders};
use voelgoed::orders::bulk;

use crate::helpers::bulk::{bulk_form, finished, orders_field, outcome, post, reasons, start, with};
use crate::helpers::orders::{place_a, HOUR, NOV_25_0030_AMSTERDAM};
use crate::helpers::sse::SseReader;
use crate::helpers::{text_of, TestApp};

crate::helpers::on_both_backends!(
    "bulk_";
    a_resend_job_queues_each_paid_order_once_and_lists_what_it_refused,
    a_refund_job_refunds_whole_orders_and_lists_the_refused_ones,
    submitting_the_same_form_twice_returns_the_same_job,
    the_progress_bar_is_pushed_until_it_reaches_100_percent,
    all_orders_matching_the_filter_are_counted_and_taken,
    an_export_job_offers_the_csv_of_its_orders,
    another_organisation_cannot_see_a_job,
    bad_bulk_forms_are_refused_and_change_nothing,
    a_supervisor_may_resend_in_bulk_but_not_refund_or_export,
    a_job_left_by_a_stopped_runner_is_finished_by_another,
);

async fn set_status(app: &TestApp, order_id: i64, status: &'static str) {
    app.db(move |conn| {
        diesel::update(orders::table.find(order_id))
            .set(orders::status.eq(status))
            .execute(conn)
            .unwrap()
    })
    .await;
}

async fn audit_count(app: &TestApp, action: &'static str) -> i64 {
    app.db(move |conn| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .count()
            .get_result(conn)
            .unwrap()
    })
    .await
}

async fn some_orders(app: &TestApp, n: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let buyer = (format!("Buyer {i}"), format!("buyer{i}@example.test"));
        ids.push(
            place_a(app, (&buyer.0, &buyer.1), 1, NOV_25_0030_AMSTERDAM + i * HOUR)
                .await
                .id,
        );
    }
    ids
}

async fn an_order_of_b(app: &TestApp) -> i64 {
    let f = &app.fixture;
    let placed = crate::helpers::orders::place(
        app,
        f.org_b,
        f.event_b,
        f.ticket_type_b,
        ("Bea", "bea@b.test"),
        1,
        NOV_25_0030_AMSTERDAM,
    )
    .await;
    placed.id
}

async fn a_resend_job_queues_each_paid_order_once_and_lists_what_it_refused(app: TestApp) {
    let ids = some_orders(&app, 3).await;
    let pending = some_orders(&app, 1).await[0];
    set_status(&app, pending, "pending").await;
    let (theirs, missing) = (an_order_of_b(&app).await, 999_999);
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let list = app.page(&owner, "/orders").await;
    assert!(list.contains(&format!(r#"type="checkbox" name="order" value="{}""#, ids[0])));
    assert!(
        list.contains(r#"aria-label="Select order "#),
        "each row's checkbox is labelled"
    );

    let form = bulk_form(&app, &owner, "/orders").await;
    let chosen = [ids.clone(), vec![pending, theirs, missing]].concat();
    let fields = with(
        form,
        &[&[("action", "resend".to_string())][..], &orders_field(&chosen)].concat(),
    );
    let job = start(&app, &owner, &fields).await;
    assert!(job.starts_with("/orders/jobs/"), "{job}");
    let page = finished(&app, &owner, &job).await;

    assert_eq!(
        (
            outcome(&page, "done"),
            outcome(&page, "refused"),
            outcome(&page, "failed")
        ),
        (3, 3, 0)
    );
    assert_eq!(app.count("email_outbox").await, 3);
    assert_eq!(audit_count(&app, "resend-confirmation").await, 3);
    let job_id: i64 = job.rsplit('/').next().unwrap().parse().unwrap();
    let details: Vec<String> = app
        .db(|conn| audit_log::table.select(audit_log::details).load(conn).unwrap())
        .await;
    assert!(
        details
            .iter()
            .filter(|d| d.contains(&format!("(bulk job {job_id})")))
            .count()
            == 3
    );
    let refused = reasons(&page);
    assert!(refused.contains(&(
        pending,
        refused[0].1.clone(),
        "pending: no confirmation to resend".into()
    )));
    // Another organisation's order reads exactly as one that does not exist.
    let b_row = refused.iter().find(|r| r.0 == theirs).unwrap();
    let missing_row = refused.iter().find(|r| r.0 == missing).unwrap();
    assert_eq!(
        (b_row.1.trim(), b_row.2.as_str()),
        (format!("order {theirs}").as_str(), "no such order")
    );
    assert_eq!(missing_row.2, "no such order");
    assert!(!page.contains("Bea") && !page.contains("bea@b.test"));
    assert!(page.contains(r#"<progress id="job-bar" max="6" value="6""#), "{page}");
}

async fn a_refund_job_refunds_whole_orders_and_lists_the_refused_ones(app: TestApp) {
    let ids = some_orders(&app, 3).await;
    set_status(&app, ids[2], "refunded").await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let form = bulk_form(&app, &owner, "/orders").await;
    let refund = [
        ("action", "refund".to_string()),
        ("reason", "event_change".to_string()),
        ("note", "  Moved to a smaller hall ".to_string()),
    ];
    let fields = with(form, &[&refund[..], &orders_field(&ids)].concat());
    let page = finished(&app, &owner, &start(&app, &owner, &fields).await).await;

    assert_eq!((outcome(&page, "done"), outcome(&page, "refused")), (2, 1));
    assert_eq!(app.count("refunds").await, 2);
    let why: Vec<(String, Option<String>)> = app
        .db(|conn| {
            use voelgoed::db::schema::refunds;
            refunds::table
                .select((refunds::reason, refunds::note))
                .load(conn)
                .unwrap()
        })
        .await;
    assert!(
        why.iter()
            .all(|w| w == &("event_change".to_string(), Some("Moved to a smaller hall".to_string()))),
        "{why:?}"
    );
    assert!(page.contains("reason: Event change"));
    assert_eq!(audit_count(&app, "refund").await, 2);
    let statuses: Vec<String> = app
        .db(move |conn| {
            orders::table
                .filter(orders::id.eq_any(&ids[..2]))
                .select(orders::status)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(statuses, ["refunded", "refunded"]);
    let refused = reasons(&page);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].2, "already refunded");
}

async fn submitting_the_same_form_twice_returns_the_same_job(app: TestApp) {
    let ids = some_orders(&app, 2).await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let form = bulk_form(&app, &owner, "/orders").await;
    let fields = with(
        form,
        &[&[("action", "resend".to_string())][..], &orders_field(&ids)].concat(),
    );
    let (first, second) = tokio::join!(start(&app, &owner, &fields), start(&app, &owner, &fields));
    let third = start(&app, &owner, &fields).await;
    assert_eq!((&first, &second), (&third, &third));
    finished(&app, &owner, &first).await;
    assert_eq!(app.count("bulk_jobs").await, 1);
    assert_eq!(app.count("email_outbox").await, 2);
    // A fresh form is a new job (each order then refused: queued a moment ago).
    let again = with(
        bulk_form(&app, &owner, "/orders").await,
        &[&[("action", "resend".to_string())][..], &orders_field(&ids)].concat(),
    );
    let page = finished(&app, &owner, &start(&app, &owner, &again).await).await;
    assert_eq!(outcome(&page, "refused"), 2);
    assert!(reasons(&page)
        .iter()
        .all(|r| r.2 == "a confirmation was queued less than a minute ago"));
    assert_eq!(app.count("email_outbox").await, 2);
}

async fn the_progress_bar_is_pushed_until_it_reaches_100_percent(app: TestApp) {
    let n = 3 * bulk::CHUNK + 10;
    let (tenant, event) = (app.fixture.org_a, app.fixture.event_a);
    let ids: Vec<i64> = app
        .db(move |conn| {
            let tt = voelgoed::provisioning::create_ticket_type(conn, &tenant, event, "Bulk", 1_000, 10_000).unwrap();
            (0..n)
                .map(|i| {
                    let order = voelgoed::orders::NewOrder {
                        event_id: event,
                        buyer_name: format!("P {i}"),
                        buyer_email: format!("p{i}@example.test"),
                        items: vec![voelgoed::orders::OrderItem::new(tt, 1)],
                        created_at: NOV_25_0030_AMSTERDAM + i,
                    };
                    voelgoed::orders::place_order(conn, &tenant, &order)
                        .unwrap()
                        .unwrap()
                        .id
                })
                .collect()
        })
        .await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let form = bulk_form(&app, &owner, "/orders").await;
    let export = [("action", "export".to_string()), ("scope", "filter".to_string())];
    let job = start(&app, &owner, &with(form, &export)).await;
    let mut stream = SseReader::open(&app, &owner, &format!("/sse{job}")).await;
    let mut seen = Vec::new();
    let last = loop {
        let message = stream.next(Duration::from_secs(20)).await.expect("progress is pushed");
        assert_eq!(message.event, "job-progress");
        let value = text_of(&message.data, "progress").unwrap();
        seen.push(value.clone());
        if message.data.contains(r#"data-finished="true""#) {
            break message.data;
        }
    };
    assert!(last.contains(&format!(r#"max="{n}" value="{n}""#)), "{last}");
    assert!(text_of(&last, "#job-progress-text").unwrap().contains("(100 %)"));
    assert!(seen.last().unwrap().contains("100"), "{seen:?}");
    // A reload shows where the job is: done, without waiting for the stream.
    let page = app.page(&owner, &job).await;
    assert!(page.contains(&format!(r#"max="{n}" value="{n}""#)) && page.contains(r#"data-finished="true""#));
    assert_eq!(outcome(&page, "done"), ids.len() as i64);
}

async fn all_orders_matching_the_filter_are_counted_and_taken(app: TestApp) {
    let ids = some_orders(&app, 5).await;
    set_status(&app, ids[0], "cancelled").await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let list = app.page(&owner, "/orders?status=paid").await;
    assert_eq!(text_of(&list, "[data-matching]").unwrap(), "4");
    let form = bulk_form(&app, &owner, "/orders?status=paid").await;
    assert!(form.contains(&("status".into(), "paid".into())));
    let fields = with(
        form,
        &[("action", "resend".to_string()), ("scope", "filter".to_string())],
    );
    let page = finished(&app, &owner, &start(&app, &owner, &fields).await).await;
    assert_eq!((outcome(&page, "done"), outcome(&page, "refused")), (4, 0));
    assert_eq!(app.count("email_outbox").await, 4);
}

async fn an_export_job_offers_the_csv_of_its_orders(app: TestApp) {
    let ids = some_orders(&app, 3).await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let form = bulk_form(&app, &owner, "/orders").await;
    let fields = with(
        form,
        &[&[("action", "export".to_string())][..], &orders_field(&ids[..2])].concat(),
    );
    let job = start(&app, &owner, &fields).await;
    let page = finished(&app, &owner, &job).await;
    let href = crate::helpers::orders::href_of(&page, "#job-download").expect("a download link");
    let response = owner.get(app.url(&href)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("order_code,order_created_at"));
    assert_eq!(lines.len(), 3, "{csv}");
    let supervisor = app.signed_in(&app.fixture.supervisor_a).await;
    assert_eq!(supervisor.get(app.url(&href)).send().await.unwrap().status(), 403);
}

async fn another_organisation_cannot_see_a_job(app: TestApp) {
    let ids = some_orders(&app, 1).await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let form = bulk_form(&app, &owner, "/orders").await;
    let fields = with(
        form,
        &[&[("action", "export".to_string())][..], &orders_field(&ids)].concat(),
    );
    let job = start(&app, &owner, &fields).await;
    finished(&app, &owner, &job).await;
    let other = app.signed_in(&app.fixture.owner_b).await;
    for path in [job.clone(), format!("/sse{job}"), format!("{job}/orders.csv")] {
        assert_eq!(other.get(app.url(&path)).send().await.unwrap().status(), 404, "{path}");
    }
    // B's own form naming A's order: refused as no such order, A's order untouched.
    let form = bulk_form(&app, &other, "/orders").await;
    let fields = with(
        form,
        &[&[("action", "resend".to_string())][..], &orders_field(&ids)].concat(),
    );
    let page = finished(&app, &other, &start(&app, &other, &fields).await).await;
    assert_eq!((outcome(&page, "done"), outcome(&page, "refused")), (0, 1));
    assert_eq!(reasons(&page)[0].2, "no such order");
    assert_eq!(app.count("email_outbox").await, 0);
}

async fn bad_bulk_forms_are_refused_and_change_nothing(app: TestApp) {
    let ids = some_orders(&app, 1).await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let form = bulk_form(&app, &owner, "/orders").await;
    let too_many: Vec<i64> = (1..=bulk::MAX_SELECTED_IDS as i64 + 1).collect();
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![("action", "resend".into())],
        [&[("action", "delete".to_string())][..], &orders_field(&ids)].concat(),
        [&[("action", "resend".to_string())][..], &orders_field(&too_many)].concat(),
        vec![("action", "resend".into()), ("order", "12abc".into())],
        vec![("action", "resend".into()), ("order", "-3".into())],
        vec![("action", "resend".into()), ("scope", "everything".into())],
        [&[("action", "refund".to_string())][..], &orders_field(&ids)].concat(),
        [
            &[("action", "refund".to_string()), ("reason", "whim".to_string())][..],
            &orders_field(&ids),
        ]
        .concat(),
        vec![
            ("action", "resend".into()),
            ("scope", "filter".into()),
            ("status", "lost".into()),
        ],
        vec![
            ("action", "resend".into()),
            ("scope", "filter".into()),
            ("status", "refunded".into()),
        ],
    ];
    for case in cases {
        let fields = with(form.clone(), &case);
        let response = post(&app, &owner, &fields).await;
        assert_eq!(response.status(), 400, "{case:?}");
        // htmx gets the reason as a fragment for #flash.
        let response = owner
            .post(app.url("/orders/jobs"))
            .header("HX-Request", "true")
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["hx-retarget"], "#flash");
        let body = response.text().await.unwrap();
        assert!(!body.contains("<html"), "a fragment, not a page: {body}");
    }
    let without_key: Vec<(String, String)> = with(form, &orders_field(&ids))
        .into_iter()
        .filter(|(k, _)| k != "job_key")
        .chain([("action".to_string(), "resend".to_string())])
        .collect();
    assert_eq!(post(&app, &owner, &without_key).await.status(), 400);
    assert_eq!(app.count("bulk_jobs").await, 0);
    assert_eq!(app.count("email_outbox").await, 0);
}

async fn a_supervisor_may_resend_in_bulk_but_not_refund_or_export(app: TestApp) {
    let ids = some_orders(&app, 1).await;
    let supervisor = app.signed_in(&app.fixture.supervisor_a).await;
    let list = app.page(&supervisor, "/orders").await;
    assert!(list.contains(r#"value="resend""#) && !list.contains(r#"value="refund""#));
    for action in ["refund", "export"] {
        let form = bulk_form(&app, &supervisor, "/orders").await;
        let more = [
            &[("action", action.to_string()), ("reason", "fraud".to_string())][..],
            &orders_field(&ids),
        ]
        .concat();
        assert_eq!(
            post(&app, &supervisor, &with(form, &more)).await.status(),
            403,
            "{action}"
        );
    }
    assert_eq!(app.count("bulk_jobs").await, 0);
    let form = bulk_form(&app, &supervisor, "/orders").await;
    let fields = with(
        form,
        &[&[("action", "resend".to_string())][..], &orders_field(&ids)].concat(),
    );
    let page = finished(&app, &supervisor, &start(&app, &supervisor, &fields).await).await;
    assert_eq!(outcome(&page, "done"), 1);
    assert!(crate::helpers::orders::href_of(&page, "#job-download").is_none());
}

async fn a_job_left_by_a_stopped_runner_is_finished_by_another(app: TestApp) {
    let ids = some_orders(&app, 3).await;
    let (tenant, user) = (app.fixture.org_a, app.fixture.owner_a.clone());
    // As a runner that stopped would leave it: claimed, its lease running for 2 s more.
    let job_id = app
        .db(move |conn| {
            let user_id: i64 = {
                use voelgoed::db::schema::users;
                users::table
                    .filter(users::email.eq(&user))
                    .select(users::id)
                    .first(conn)
                    .unwrap()
            };
            conn.transaction::<_, diesel::result::Error, _>(|conn| {
                let job = bulk::NewJob {
                    user_id,
                    events: voelgoed::auth::EventScope::Every,
                    job_key: "left-behind".into(),
                    action: bulk::BulkAction::Resend,
                    refund: None,
                    order_ids: ids,
                };
                let id = bulk::create_job(conn, &tenant, &job)?;
                diesel::update(bulk_jobs::table.find(id))
                    .set(bulk_jobs::lease_until.eq(voelgoed::db::now_ms() + 2_000))
                    .execute(conn)?;
                Ok(id)
            })
            .unwrap()
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        app.count("email_outbox").await,
        0,
        "nobody works on a job another runner holds"
    );
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let page = finished(&app, &owner, &format!("/orders/jobs/{job_id}")).await;
    assert_eq!(outcome(&page, "done"), 3);
    assert_eq!(app.count("email_outbox").await, 3);
}

/// Two instances on one PostgreSQL and one Redis, each with its runner: a job started on
/// one is processed once per order, and its page on the other moves to done.
#[tokio::test]
async fn a_job_started_on_one_instance_is_followed_live_on_another_and_processed_once() {
    let (first, second) = crate::helpers::scaled_out("bulk_two", &crate::helpers::test_redis()).await;
    let (tenant, event) = (first.fixture.org_a, first.fixture.event_a);
    let n = 2 * bulk::CHUNK + 1;
    first
        .db(move |conn| {
            let tt = voelgoed::provisioning::create_ticket_type(conn, &tenant, event, "Bulk", 1_000, 10_000).unwrap();
            for i in 0..n {
                let order = voelgoed::orders::NewOrder {
                    event_id: event,
                    buyer_name: format!("T {i}"),
                    buyer_email: format!("t{i}@example.test"),
                    items: vec![voelgoed::orders::OrderItem::new(tt, 1)],
                    created_at: NOV_25_0030_AMSTERDAM + i,
                };
                voelgoed::orders::place_order(conn, &tenant, &order).unwrap().unwrap();
            }
        })
        .await;
    let on_first = first.signed_in(&first.fixture.owner_a).await;
    let on_second = second.signed_in(&second.fixture.owner_a).await;
    let form = bulk_form(&first, &on_first, "/orders").await;
    let fields = with(
        form,
        &[("action", "resend".to_string()), ("scope", "filter".to_string())],
    );
    let job = start(&first, &on_first, &fields).await;
    let mut stream = SseReader::open(&second, &on_second, &format!("/sse{job}")).await;
    loop {
        let message = stream
            .next(Duration::from_secs(30))
            .await
            .expect("progress reaches the other instance");
        if message.data.contains(r#"data-finished="true""#) {
            assert!(message.data.contains(&format!(r#"max="{n}" value="{n}""#)));
            break;
        }
    }
    assert_eq!(first.count("email_outbox").await, n);
    assert_eq!(audit_count(&first, "resend-confirmation").await, n);
}
