//! Group commit: one writer thread takes every scan batch that is waiting, decides them
//! all in one transaction, commits once, and only then answers each request. Durable
//! acknowledgements without one commit (and one fsync) per request.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::decision::{record_batch, GateDevice, RecordedScan, ScanAttempt};
use crate::db::{self, DbConnection, Pool, Tenant};
use crate::error::AppError;

/// Most scans decided in one transaction; more wait for the next one.
const MAX_GROUP_SCANS: usize = 4_000;
/// Batches that may wait for the writer before senders are slowed down.
const QUEUE: usize = 1_024;

/// One device's batch, as it was committed.
pub struct CommittedBatch {
    pub tenant: Tenant,
    pub device: GateDevice,
    pub scans: Vec<ScanAttempt>,
    pub answers: Vec<RecordedScan>,
}

/// Told about every committed group, after the commit: counters and live updates.
pub type OnCommit = Arc<dyn Fn(&[CommittedBatch]) + Send + Sync>;

struct Job {
    tenant: Tenant,
    device: GateDevice,
    scans: Vec<ScanAttempt>,
    reply: oneshot::Sender<Result<Vec<RecordedScan>, String>>,
}

#[derive(Clone)]
pub struct ScanWriter {
    jobs: mpsc::Sender<Job>,
}

impl ScanWriter {
    pub fn start(pool: Pool, on_commit: OnCommit) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("scan-writer".into())
            .spawn(move || write_loop(pool, queue, on_commit))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the scan writer"));
        Self { jobs }
    }

    /// Decides and durably records a device's batch; answers in the batch's order.
    pub async fn record(
        &self,
        tenant: Tenant,
        device: GateDevice,
        scans: Vec<ScanAttempt>,
    ) -> Result<Vec<RecordedScan>, AppError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            tenant,
            device,
            scans,
            reply,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| AppError::unexpected(anyhow::anyhow!("the scan writer stopped")))?;
        answer
            .await
            .map_err(|_| AppError::unexpected(anyhow::anyhow!("the scan writer dropped a batch")))?
            .map_err(|e| AppError::unexpected(anyhow::anyhow!(e)))
    }
}

fn write_loop(pool: Pool, mut queue: mpsc::Receiver<Job>, on_commit: OnCommit) {
    while let Some(first) = queue.blocking_recv() {
        let mut group = vec![first];
        let mut scans = group[0].scans.len();
        while scans < MAX_GROUP_SCANS {
            match queue.try_recv() {
                Ok(job) => {
                    scans += job.scans.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let started = Instant::now();
        match pool.get() {
            Ok(mut conn) => commit_group(&mut conn, group, on_commit.as_ref()),
            Err(e) => {
                let message = format!("database unavailable: {e}");
                group
                    .into_iter()
                    .for_each(|job| drop(job.reply.send(Err(message.clone()))));
            }
        }
        tracing::debug!(scans, elapsed = ?started.elapsed(), "committed scan group");
    }
}

/// Commits the whole group at once; if that fails, each batch alone, so one bad batch
/// cannot fail the others. Counters and live views hear of the commit before any
/// device gets its answer, so whatever a device was told is already on the screens.
fn commit_group(conn: &mut DbConnection, group: Vec<Job>, on_commit: &(dyn Fn(&[CommittedBatch]) + Send + Sync)) {
    let together = db::write_transaction(conn, |conn| {
        group
            .iter()
            .map(|job| decide_batch(conn, job))
            .collect::<diesel::QueryResult<Vec<_>>>()
    });
    let answers: Vec<Result<Vec<RecordedScan>, String>> = match together {
        Ok(all) => all.into_iter().map(Ok).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "scan group failed; retrying batch by batch");
            group
                .iter()
                .map(|job| db::write_transaction(conn, |conn| decide_batch(conn, job)).map_err(|e| e.to_string()))
                .collect()
        }
    };
    let mut committed = Vec::new();
    let mut replies = Vec::new();
    for (job, answer) in group.into_iter().zip(answers) {
        match answer {
            Ok(answers) => {
                replies.push((job.reply, None));
                committed.push(CommittedBatch {
                    tenant: job.tenant,
                    device: job.device,
                    scans: job.scans,
                    answers,
                });
            }
            Err(e) => replies.push((job.reply, Some(e))),
        }
    }
    on_commit(&committed);
    let mut answered = committed.into_iter();
    for (reply, failure) in replies {
        let answer = match failure {
            Some(e) => Err(e),
            None => Ok(answered.next().map(|batch| batch.answers).unwrap_or_default()),
        };
        // The device may have hung up; its scans are recorded and a resend replays them.
        let _ = reply.send(answer);
    }
}

fn decide_batch(conn: &mut DbConnection, job: &Job) -> diesel::QueryResult<Vec<RecordedScan>> {
    super::queries::mark_device_seen(conn, job.device.device_id, db::now_ms())?;
    record_batch(conn, &job.tenant, job.device, &job.scans)
}
