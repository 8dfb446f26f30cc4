//! `voelgoed-bench bench-bulk`: bulk resends on a bulk-seeded database. The server runs in
//! this process (its bulk-job runner included); each run makes a resend job of
//! `--orders` paid orders of the largest organisation never resent before (as the
//! bulk form's POST does once it has parsed the form), wakes the runner and times until
//! the job is finished, then checks the outbox and the audit log gained one row per
//! order. Prints each run and the median / p99 over the runs.

use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::prelude::*;

use voelgoed::config::Settings;
use voelgoed::db::schema::{audit_log, email_outbox, orders, users};
use voelgoed::db::{DatabaseUrl, DbConnection, Tenant};
use voelgoed::orders::bulk::{self, BulkAction, NewJob};
use voelgoed::orders::OrderStatus;
use voelgoed::startup::{Application, Services};

use super::percentile_ms;

#[derive(clap::Args, Debug)]
pub struct BulkBenchOptions {
    /// A database filled by `voelgoed seed --orders 1000000`.
    #[arg(long, env = "DATABASE_URL")]
    database: String,
    /// Orders per job.
    #[arg(long, default_value_t = 10_000)]
    orders: i64,
    /// Jobs, one after another, each on orders no earlier job took.
    #[arg(long, default_value_t = 5)]
    runs: i64,
}

pub async fn run(options: BulkBenchOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=bulk::MAX_JOB_ORDERS).contains(&options.orders),
        "--orders must be 1 to {}",
        bulk::MAX_JOB_ORDERS
    );
    let url = DatabaseUrl::parse(&options.database).map_err(anyhow::Error::msg)?;
    let app = Application::build(Settings::new("127.0.0.1:0", url)).await?;
    let services = app.services().clone();
    let server = actix_web::rt::spawn(app.run_until_stopped());
    let (tenant, user_id, paid) = on_db(&services, largest_organisation).await?;
    println!(
        "largest organisation {} ({paid} paid orders); {} orders per job, {} runs, chunks of {}; {} cores",
        tenant.organization_id(),
        options.orders,
        options.runs,
        bulk::CHUNK,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    anyhow::ensure!(
        paid >= options.orders * options.runs,
        "not enough paid orders for every run"
    );
    let mut times = Vec::new();
    for run in 0..options.runs {
        let elapsed = one_job(&services, tenant, user_id, options.orders).await?;
        println!(
            "  run {}: {:.2} s ({:.0} resends/s)",
            run + 1,
            elapsed.as_secs_f64(),
            options.orders as f64 / elapsed.as_secs_f64()
        );
        times.push(elapsed);
    }
    times.sort();
    println!(
        "job of {} resends, created to finished: median {:.0} ms, p99 {:.0} ms",
        options.orders,
        percentile_ms(&times, 0.5),
        percentile_ms(&times, 0.99)
    );
    server.abort();
    Ok(())
}

/// Makes the job, wakes the runner, waits until it is finished, checks the rows.
async fn one_job(services: &Services, tenant: Tenant, user_id: i64, n: i64) -> anyhow::Result<Duration> {
    let (outbox_before, audit_before) = on_db(services, counts).await?;
    let started = Instant::now();
    let job_id = on_db(services, move |conn| {
        // Orders never resent (by an earlier run or invocation): a resend within the
        // minute would be refused.
        let resent = email_outbox::table
            .filter(email_outbox::organization_id.eq(tenant.organization_id()))
            .filter(email_outbox::order_id.is_not_null())
            .select(email_outbox::order_id.assume_not_null());
        let order_ids: Vec<i64> = orders::table
            .filter(orders::organization_id.eq(tenant.organization_id()))
            .filter(orders::status.eq(OrderStatus::Paid))
            .filter(orders::id.ne_all(resent))
            .order(orders::id)
            .limit(n)
            .select(orders::id)
            .load(conn)?;
        let job = NewJob {
            user_id,
            events: voelgoed::auth::EventScope::Every,
            job_key: format!("bench-bulk-{}", voelgoed::auth::random_token()),
            action: BulkAction::Resend,
            refund: None,
            order_ids,
        };
        Ok(bulk::create_job(conn, &tenant, &job)?)
    })
    .await?;
    services.bulk_jobs.wake();
    let progress = loop {
        let progress = on_db(services, move |conn| {
            let job = bulk::find_job(conn, &tenant, job_id)?;
            Ok(bulk::progress(conn, &job)?)
        })
        .await?;
        if progress.finished {
            break progress;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "the job did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let elapsed = started.elapsed();
    let (outbox_after, audit_after) = on_db(services, counts).await?;
    anyhow::ensure!(
        progress.done == n && outbox_after - outbox_before == n && audit_after - audit_before == n,
        "expected {n} resends, outbox and audit rows: {progress:?}, outbox +{}, audit +{}",
        outbox_after - outbox_before,
        audit_after - audit_before
    );
    Ok(elapsed)
}

/// The organisation with the most orders, its owner's id and its paid orders.
fn largest_organisation(conn: &mut DbConnection) -> anyhow::Result<(Tenant, i64, i64)> {
    let (org, _): (i64, i64) = orders::table
        .group_by(orders::organization_id)
        .select((orders::organization_id, diesel::dsl::count_star()))
        .order(diesel::dsl::count_star().desc())
        .first(conn)
        .context("the database has no orders: run voelgoed seed first")?;
    let owner = users::table
        .filter(users::organization_id.eq(org))
        .filter(users::role.eq("owner"))
        .select(users::id)
        .first(conn)?;
    let paid = orders::table
        .filter(orders::organization_id.eq(org))
        .filter(orders::status.eq(OrderStatus::Paid))
        .count()
        .get_result(conn)?;
    Ok((Tenant::authenticated(org), owner, paid))
}

fn counts(conn: &mut DbConnection) -> anyhow::Result<(i64, i64)> {
    let outbox = email_outbox::table.count().get_result(conn)?;
    let audit = audit_log::table
        .filter(audit_log::action.eq("resend-confirmation"))
        .count()
        .get_result(conn)?;
    Ok((outbox, audit))
}

/// Blocking database work on the app's page pool.
async fn on_db<T: Send + 'static>(
    services: &Services,
    work: impl FnOnce(&mut DbConnection) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let pool = services.pool.get_ref().clone();
    tokio::task::spawn_blocking(move || work(&mut *pool.get()?)).await?
}
