//! The bulk-job runner: one per process, it claims an unfinished job under a lease,
//! works through it a chunk at a time (renewing the lease before each, publishing the
//! progress on the job's channel after each) and marks it finished. A job whose runner
//! stopped is claimed again once its lease runs out (a graceful stop gives it back at
//! once), by this instance or another: each order is still processed at most once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::queries::{self, LeasedJob};
use super::work;
use crate::db::{self, lease, Pool, Tenant};
use crate::error::{with_db, AppError};
use crate::live::{Bus, Channel, Shutdown, Update, UpdateKind};

/// How long a claimed job stays this runner's without a renewal (one per chunk).
pub const LEASE: Duration = Duration::from_secs(30);
/// How long the runner waits after the database failed before it tries again.
const RETRY: Duration = Duration::from_secs(1);

/// Wakes the runner when a job is created, so it need not wait for its next poll.
#[derive(Clone, Default)]
pub struct BulkWaker(Arc<Notify>);

impl BulkWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Starts the runner; it runs until `shutdown` begins. The handle ends when it has
/// stopped (the job it held given back). Unwoken, it looks for jobs (left by other
/// runners) every `poll`.
pub fn start_runner(
    pool: Pool,
    bus: Arc<dyn Bus>,
    shutdown: Shutdown,
    poll: Duration,
) -> (BulkWaker, tokio::task::JoinHandle<()>) {
    let waker = BulkWaker::default();
    let notify = waker.0.clone();
    let runner = tokio::spawn(async move {
        let runner = Runner { pool, bus, shutdown };
        while !runner.shutdown.has_begun() {
            let claimed = with_db(&runner.pool, |conn| Ok(queries::claim_job(conn, db::now_ms(), LEASE)?)).await;
            match claimed {
                Ok(Some(leased)) => {
                    runner.run(leased).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot look for bulk jobs"),
            }
            tokio::select! {
                _ = notify.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = runner.shutdown.begun() => {}
            }
        }
    });
    (waker, runner)
}

struct Runner {
    pool: Pool,
    bus: Arc<dyn Bus>,
    shutdown: Shutdown,
}

/// What one step of a job came to.
enum Step {
    /// Some orders were processed; more may be left.
    Progressed,
    Finished,
    /// Another runner holds the job now.
    Lost,
}

impl Runner {
    /// Works through the job until it is finished, lost, or the server stops.
    async fn run(&self, mut leased: LeasedJob) {
        // The job was made by a signed-in user of this organisation: the runner acts
        // for it, as that user, on that organisation's orders only.
        let tenant = Tenant::authenticated(leased.job.organization_id);
        let channel = super::model::job_channel(&tenant, leased.job.id);
        loop {
            if self.shutdown.has_begun() {
                self.give_back(&leased).await;
                return;
            }
            match self.step(&mut leased, tenant).await {
                Ok(Step::Progressed) => self.publish(&channel),
                Ok(Step::Finished) => return self.publish(&channel),
                Ok(Step::Lost) => {
                    tracing::warn!(job = leased.job.id, "bulk job lease lost; another runner has it");
                    return;
                }
                Err(e) => {
                    tracing::warn!(job = leased.job.id, error = %e, "bulk job chunk failed; trying again");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }

    /// Renews the lease, then processes the next chunk (or finishes the job).
    async fn step(&self, leased: &mut LeasedJob, tenant: Tenant) -> Result<Step, AppError> {
        let (job, held, bus) = (leased.job.clone(), leased.until, self.bus.clone());
        let (step, until) = with_db(&self.pool, move |conn| {
            let now = db::now_ms();
            let until = lease::lease_end(now, LEASE);
            if !queries::move_lease(conn, job.id, held, until)? {
                return Ok((Step::Lost, held));
            }
            if work::run_chunk(conn, bus.as_ref(), &tenant, &job)? > 0 {
                return Ok((Step::Progressed, until));
            }
            match queries::finish(conn, job.id, until, db::now_ms())? {
                true => Ok((Step::Finished, until)),
                false => Ok((Step::Lost, until)),
            }
        })
        .await?;
        leased.until = until;
        Ok(step)
    }

    /// The server is stopping: the job may be claimed again at once.
    async fn give_back(&self, leased: &LeasedJob) {
        let (id, held) = (leased.job.id, leased.until);
        if let Err(e) = with_db(&self.pool, move |conn| Ok(queries::move_lease(conn, id, held, 0)?)).await {
            tracing::warn!(job = id, error = %e, "cannot give the bulk job back; its lease will run out");
        }
    }

    fn publish(&self, channel: &Channel) {
        self.bus.publish(Update {
            channel: channel.clone(),
            kind: UpdateKind::BulkJobProgressed,
        });
    }
}
