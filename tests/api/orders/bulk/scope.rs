//! Bulk jobs kept to their maker's events and limits, and job pages to their readers'
//! (issue 22, findings 1 and 8): a supervisor's job never touches an order of another
//! event, counts against their resend limit, and a supervisor reads only the jobs of
//! their events that their role could have started.

use diesel::prelude::*;
use voelgoed::db::schema::{bulk_job_orders, bulk_jobs, email_outbox, users};
use voelgoed::orders::bulk;

use crate::helpers::bulk::{bulk_form, finished, orders_field, outcome, post, reasons, start, with};
use crate::helpers::orders::{held_job, place, place_a, HOUR, NOV_25_0030_AMSTERDAM};
use crate::helpers::TestApp;

crate::helpers::on_both_backends!(
    "scope_";
    a_supervisors_bulk_job_never_touches_an_order_of_another_event,
    a_supervisors_bulk_resends_count_against_their_resend_limit,
    a_supervisor_reads_only_the_jobs_of_their_events_that_their_role_could_start,
    a_running_job_is_held_to_what_its_maker_may_do_now,
);

/// A second event of org A ("Gamma Night"), which the fixture's supervisor does not run,
/// and an order of it.
async fn an_order_of_another_event(app: &TestApp) -> (i64, voelgoed::orders::PlacedOrder) {
    let tenant = app.fixture.org_a;
    let (event, ticket_type) = app.another_event_a().await;
    let buyer = ("Theo Theirs", "theo@example.test");
    let order = place(app, tenant, event, ticket_type, buyer, 1, NOV_25_0030_AMSTERDAM).await;
    (event, order)
}

/// Orders of the fixture's event A, one buyer each.
async fn orders_of_event_a(app: &TestApp, n: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let buyer = (format!("Mina {i}"), format!("mina{i}@example.test"));
        let at = NOV_25_0030_AMSTERDAM + (i + 1) * HOUR;
        ids.push(place_a(app, (&buyer.0, &buyer.1), 1, at).await.id);
    }
    ids
}

async fn mailed_orders(app: &TestApp) -> Vec<i64> {
    app.db(|conn| {
        email_outbox::table
            .select(email_outbox::order_id)
            .load::<Option<i64>>(conn)
            .unwrap()
            .into_iter()
            .flatten()
            .collect()
    })
    .await
}

fn resend_of(ids: &[i64]) -> Vec<(&'static str, String)> {
    [&[("action", "resend".to_string())][..], &orders_field(ids)].concat()
}

async fn a_supervisors_bulk_job_never_touches_an_order_of_another_event(app: TestApp) {
    let (other_event, theirs) = an_order_of_another_event(&app).await;
    let mine = orders_of_event_a(&app, 2).await;
    let supervisor = app.signed_in(&app.fixture.supervisor_a).await;

    // Named one by one: the other event's order reads as another organisation's would.
    let form = bulk_form(&app, &supervisor, "/orders").await;
    let job = start(&app, &supervisor, &with(form, &resend_of(&[mine[0], theirs.id]))).await;
    let page = finished(&app, &supervisor, &job).await;
    assert_eq!((outcome(&page, "done"), outcome(&page, "refused")), (1, 1));
    let refused = reasons(&page);
    assert_eq!(refused.len(), 1);
    assert_eq!(
        (refused[0].0, refused[0].1.trim(), refused[0].2.as_str()),
        (theirs.id, format!("order {}", theirs.id).as_str(), "no such order")
    );
    assert!(!page.contains(&theirs.code), "not even its code is shown");

    // A filter naming the other event is refused as the order list refuses it: 404.
    let jobs_before = app.count("bulk_jobs").await;
    let form = bulk_form(&app, &supervisor, "/orders").await;
    let filter = [
        ("action", "resend".to_string()),
        ("scope", "filter".to_string()),
        ("event", other_event.to_string()),
    ];
    let fields: Vec<(String, String)> = with(form, &filter)
        .into_iter()
        .filter(|(k, v)| k != "event" || *v == other_event.to_string())
        .collect();
    assert_eq!(post(&app, &supervisor, &fields).await.status(), 404);
    assert_eq!(app.count("bulk_jobs").await, jobs_before, "nothing was made");

    // A filter without an event takes the supervisor's event, as their list shows it.
    let form = bulk_form(&app, &supervisor, "/orders").await;
    let everything: Vec<(String, String)> = with(form, &[("action", "resend".into()), ("scope", "filter".into())])
        .into_iter()
        .filter(|(k, _)| k != "event")
        .collect();
    let page = finished(&app, &supervisor, &start(&app, &supervisor, &everything).await).await;
    assert!(!reasons(&page).iter().any(|r| r.0 == theirs.id), "{page}");

    let mailed = mailed_orders(&app).await;
    assert!(
        !mailed.contains(&theirs.id),
        "the other event's buyer got no mail: {mailed:?}"
    );
    assert_eq!(mailed.iter().filter(|id| **id == mine[1]).count(), 1, "{mailed:?}");
}

async fn a_supervisors_bulk_resends_count_against_their_resend_limit(app: TestApp) {
    let ids = orders_of_event_a(&app, 23).await;
    let supervisor = app.signed_in(&app.fixture.supervisor_a).await;

    // More orders than they may resend in 10 minutes: not offered, and refused before
    // anything is made.
    let list = app.page(&supervisor, "/orders").await;
    assert!(list.contains("(more than 10: narrow it down)"), "{list}");
    let form = bulk_form(&app, &supervisor, "/orders").await;
    let refused = post(&app, &supervisor, &with(form, &resend_of(&ids[..11]))).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("at most 10"));
    assert_eq!(app.count("bulk_jobs").await, 0);

    // 8 one by one from the order pages, then a job of 4: two are sent, two refused.
    let token = crate::helpers::csrf_token(&app.page(&supervisor, "/events").await).unwrap();
    for order in &ids[..8] {
        let resent = supervisor
            .post(app.url(&format!("/orders/{order}/resend-confirmation")))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resent.status(), 303);
    }
    let form = bulk_form(&app, &supervisor, "/orders").await;
    let job = start(&app, &supervisor, &with(form, &resend_of(&ids[8..12]))).await;
    let page = finished(&app, &supervisor, &job).await;
    assert_eq!((outcome(&page, "done"), outcome(&page, "refused")), (2, 2));
    assert!(reasons(&page)
        .iter()
        .all(|r| r.2.contains("10 confirmations in the last 10 minutes")));
    assert_eq!(app.count("email_outbox").await, 10);

    // Owners and finance, who see every event, are held by the job's size instead.
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let form = bulk_form(&app, &owner, "/orders").await;
    let page = finished(
        &app,
        &owner,
        &start(&app, &owner, &with(form, &resend_of(&ids[12..]))).await,
    )
    .await;
    assert_eq!(outcome(&page, "done"), 11);
}

async fn a_supervisor_reads_only_the_jobs_of_their_events_that_their_role_could_start(app: TestApp) {
    let (_, theirs) = an_order_of_another_event(&app).await;
    let mine = orders_of_event_a(&app, 3).await;
    let owner = app.signed_in(&app.fixture.owner_a).await;
    let finance = app.signed_in("finance@a.test").await;
    let supervisor = app.signed_in(&app.fixture.supervisor_a).await;

    let form = bulk_form(&app, &owner, "/orders").await;
    let spanning = start(&app, &owner, &with(form, &resend_of(&[mine[0], theirs.id]))).await;
    let form = bulk_form(&app, &finance, "/orders").await;
    let refund = [
        ("action", "refund".to_string()),
        ("reason", "fraud".to_string()),
        ("note", "Card flagged by the bank".to_string()),
        ("order", mine[1].to_string()),
    ];
    let refund_job = start(&app, &finance, &with(form, &refund)).await;
    let form = bulk_form(&app, &supervisor, "/orders").await;
    let own = start(&app, &supervisor, &with(form, &resend_of(&[mine[2]]))).await;
    for job in [&spanning, &refund_job, &own] {
        finished(&app, &owner, job).await;
    }

    for job in [&spanning, &refund_job] {
        for path in [job.clone(), format!("/sse{job}")] {
            let response = supervisor.get(app.url(&path)).send().await.unwrap();
            assert_eq!(response.status(), 404, "{path}");
            let body = response.text().await.unwrap();
            assert!(!body.contains("Card flagged") && !body.contains(&theirs.code), "{body}");
        }
    }
    let page = app.page(&supervisor, &own).await;
    assert_eq!(outcome(&page, "done"), 1);
    for job in [&spanning, &refund_job, &own] {
        assert_eq!(finance.get(app.url(job)).send().await.unwrap().status(), 200, "{job}");
    }
    let jobs: i64 = app.db(|conn| bulk_jobs::table.count().get_result(conn).unwrap()).await;
    assert_eq!(jobs, 3);
}

/// A job as a runner that stopped would leave it (claimed for 1.5 s more), by `maker`.
async fn left_behind(app: &TestApp, maker: &'static str, action: bulk::BulkAction, order_ids: Vec<i64>) -> i64 {
    held_job(app, maker, action, order_ids, 1_500).await
}

/// Each order of the job with its outcome and reason, once the job has finished.
async fn outcomes(app: &TestApp, job: i64) -> Vec<(i64, Option<String>, Option<String>)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let finished: Option<i64> = app
            .db(move |conn| {
                bulk_jobs::table
                    .find(job)
                    .select(bulk_jobs::finished_at)
                    .first(conn)
                    .unwrap()
            })
            .await;
        if finished.is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "job {job} did not finish");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.db(move |conn| {
        bulk_job_orders::table
            .filter(bulk_job_orders::job_id.eq(job))
            .order(bulk_job_orders::position)
            .select((
                bulk_job_orders::order_id,
                bulk_job_orders::outcome,
                bulk_job_orders::reason,
            ))
            .load(conn)
            .unwrap()
    })
    .await
}

async fn a_running_job_is_held_to_what_its_maker_may_do_now(app: TestApp) {
    let (_, theirs) = an_order_of_another_event(&app).await;
    let mine = orders_of_event_a(&app, 2).await;
    let resend = left_behind(&app, "super@a.test", bulk::BulkAction::Resend, vec![mine[0], theirs.id]).await;
    let refund = left_behind(&app, "finance@a.test", bulk::BulkAction::Refund, vec![mine[1]]).await;
    // Finance is made a steward before the runner gets to their refunds.
    app.db(|conn| {
        diesel::update(users::table.filter(users::email.eq("finance@a.test")))
            .set(users::role.eq("steward"))
            .execute(conn)
            .unwrap()
    })
    .await;

    let resent = outcomes(&app, resend).await;
    let refunded = outcomes(&app, refund).await;

    let done = Some("done".to_owned());
    let refused = Some("refused".to_owned());
    assert_eq!(
        resent,
        [
            (mine[0], done, None),
            (theirs.id, refused.clone(), Some("no such order".to_owned()))
        ]
    );
    assert_eq!(
        refunded,
        [(mine[1], refused, Some("its maker may no longer do this".to_owned()))]
    );
    assert_eq!(mailed_orders(&app).await, [mine[0]]);
    assert_eq!(app.count("refunds").await, 0);
}
