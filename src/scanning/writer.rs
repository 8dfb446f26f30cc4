//! Group commit: one writer thread takes every scan batch that is waiting, decides them
//! all in one transaction, commits once, and only then answers each request. Durable
//! acknowledgements without one commit (and one fsync) per request.
//!
//! The gates never wait on a resource the pages share: the writer owns its database
//! connection (reopened when it breaks). It is supervised: a panic while deciding a
//! group answers that group's devices "retry", drops the connection (it may be inside
//! a transaction) and goes on with the next group.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::r2d2::{ManageConnection, R2D2Connection};
use tokio::sync::{mpsc, oneshot};

use super::admission::record_batch;
use super::model::{GateDevice, RecordedScan, ScanAttempt};
use crate::db::{self, ConnectionManager, DbConnection, Tenant};

/// Most scans decided in one transaction; more wait for the next one.
const MAX_GROUP_SCANS: usize = 4_000;
/// Batches that may wait for the writer before senders are slowed down.
const QUEUE: usize = 1_024;
/// After a failed connection attempt, the next one waits this long (groups that arrive
/// meanwhile are answered "retry" at once instead of each waiting for a connect).
const RECONNECT_PAUSE: Duration = Duration::from_millis(250);

/// One device's batch, as it was committed.
pub struct CommittedBatch {
    pub tenant: Tenant,
    pub device: GateDevice,
    pub scans: Vec<ScanAttempt>,
    pub answers: Vec<RecordedScan>,
}

/// Told about every committed group, after the commit: counters and live updates.
pub type OnCommit = Arc<dyn Fn(&[CommittedBatch]) + Send + Sync>;

/// Why a batch was not recorded. Nothing of it was stored: the device sends it again.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotRecorded {
    #[error("the scan database is unavailable ({0}); nothing was recorded, send the scans again")]
    DatabaseUnavailable(String),
    #[error("the scan writer restarted while deciding these scans; send them again")]
    WriterRestarted,
    #[error("the scan writer is shutting down; send the scans again")]
    Stopped,
}

/// Deliberate faults, for the tests of the writer's supervision only; the command line
/// never sets them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriterFaults {
    /// Deciding a batch that holds this ticket code panics.
    pub panic_on_ticket_code: Option<String>,
}

impl WriterFaults {
    /// Panics (inside the group's transaction) when the batch holds the marked code.
    fn check(&self, batch: &Batch) {
        if let Some(code) = &self.panic_on_ticket_code {
            if batch.scans.iter().any(|s| &s.ticket_code == code) {
                panic!("injected fault: ticket code {code}");
            }
        }
    }
}

enum Job {
    Record {
        tenant: Tenant,
        device: GateDevice,
        scans: Vec<ScanAttempt>,
        reply: oneshot::Sender<Result<Vec<RecordedScan>, NotRecorded>>,
    },
    /// Answered by the writer loop when it is alive and has a working connection.
    Ping(oneshot::Sender<Result<(), NotRecorded>>),
}

#[derive(Clone)]
pub struct ScanWriter {
    jobs: mpsc::Sender<Job>,
}

impl ScanWriter {
    pub fn start(connections: ConnectionManager, on_commit: OnCommit, faults: WriterFaults) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let mut writer = Writer {
            connections,
            conn: None,
            retry_connect_at: Instant::now(),
            on_commit,
            faults,
        };
        std::thread::Builder::new()
            .name("scan-writer".into())
            .spawn(move || writer.run(queue))
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
    ) -> Result<Vec<RecordedScan>, NotRecorded> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Record {
            tenant,
            device,
            scans,
            reply,
        };
        self.jobs.send(job).await.map_err(|_| NotRecorded::Stopped)?;
        // A dropped reply means the group panicked before it was answered.
        answer.await.unwrap_or(Err(NotRecorded::WriterRestarted))
    }

    /// Whether the writer answers within `timeout` with a working connection.
    pub async fn ping(&self, timeout: Duration) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        let asked = tokio::time::timeout(timeout, async {
            self.jobs
                .send(Job::Ping(reply))
                .await
                .map_err(|_| NotRecorded::Stopped)?;
            answer.await.unwrap_or(Err(NotRecorded::WriterRestarted))
        });
        match asked.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "the scan writer did not answer within {} ms",
                timeout.as_millis()
            )),
        }
    }
}

struct Writer {
    connections: ConnectionManager,
    conn: Option<DbConnection>,
    retry_connect_at: Instant,
    on_commit: OnCommit,
    faults: WriterFaults,
}

/// A group of batches taken from the queue together.
struct Group {
    jobs: Vec<Job>,
    scans: usize,
}

impl Writer {
    /// Runs until every sender is gone (the server stopped), deciding one group at a time.
    fn run(&mut self, mut queue: mpsc::Receiver<Job>) {
        // Connect before the first scan arrives, so it does not wait for it.
        let _ = self.connection();
        while let Some(group) = next_group(&mut queue) {
            let started = Instant::now();
            let scans = group.scans;
            let outcome = catch_unwind(AssertUnwindSafe(|| self.write(group)));
            if outcome.is_err() {
                // The group's replies were dropped while unwinding: its devices were
                // told to retry. The connection may be inside a transaction.
                tracing::error!("the scan writer panicked while deciding a group; restarting it");
                self.conn = None;
            }
            tracing::debug!(scans, elapsed = ?started.elapsed(), "committed scan group");
        }
    }

    fn write(&mut self, group: Group) {
        let mut records = Vec::with_capacity(group.jobs.len());
        let connection = self.connection();
        for job in group.jobs {
            match job {
                Job::Ping(reply) => drop(reply.send(connection.clone())),
                Job::Record {
                    tenant,
                    device,
                    scans,
                    reply,
                } => records.push(Batch {
                    tenant,
                    device,
                    scans,
                    reply,
                }),
            }
        }
        if records.is_empty() {
            return;
        }
        if let Err(unavailable) = connection {
            for batch in records {
                let _ = batch.reply.send(Err(unavailable.clone()));
            }
            return;
        }
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        let all_stored = commit_group(conn, records, self.on_commit.as_ref(), &self.faults);
        // A lost connection shows as failed batches: check it then, not on every group.
        if conn.is_broken() || (!all_stored && conn.ping().is_err()) {
            self.conn = None;
        }
    }

    /// The writer's own connection, opened again when it was lost.
    fn connection(&mut self) -> Result<(), NotRecorded> {
        if self.conn.is_some() {
            return Ok(());
        }
        if Instant::now() < self.retry_connect_at {
            return Err(NotRecorded::DatabaseUnavailable("reconnecting".into()));
        }
        match self.connections.connect() {
            Ok(conn) => {
                self.conn = Some(conn);
                Ok(())
            }
            Err(e) => {
                self.retry_connect_at = Instant::now() + RECONNECT_PAUSE;
                tracing::warn!(error = %e, "the scan writer cannot reach the database");
                Err(NotRecorded::DatabaseUnavailable(e.to_string()))
            }
        }
    }
}

fn next_group(queue: &mut mpsc::Receiver<Job>) -> Option<Group> {
    let first = queue.blocking_recv()?;
    let mut group = Group {
        scans: job_scans(&first),
        jobs: vec![first],
    };
    while group.scans < MAX_GROUP_SCANS {
        match queue.try_recv() {
            Ok(job) => {
                group.scans += job_scans(&job);
                group.jobs.push(job);
            }
            Err(_) => break,
        }
    }
    Some(group)
}

fn job_scans(job: &Job) -> usize {
    match job {
        Job::Record { scans, .. } => scans.len(),
        Job::Ping(_) => 0,
    }
}

/// One device's batch waiting for its decision.
struct Batch {
    tenant: Tenant,
    device: GateDevice,
    scans: Vec<ScanAttempt>,
    reply: oneshot::Sender<Result<Vec<RecordedScan>, NotRecorded>>,
}

/// Commits the whole group at once; if that fails, each batch alone, so one bad batch
/// cannot fail the others. Counters and live views hear of the commit before any
/// device gets its answer, so whatever a device was told is already on the screens.
/// True when every batch was stored.
fn commit_group(
    conn: &mut DbConnection,
    group: Vec<Batch>,
    on_commit: &(dyn Fn(&[CommittedBatch]) + Send + Sync),
    faults: &WriterFaults,
) -> bool {
    let together = db::write_transaction(conn, |conn| {
        group
            .iter()
            .map(|batch| {
                faults.check(batch);
                decide_batch(conn, batch)
            })
            .collect::<diesel::QueryResult<Vec<_>>>()
    });
    let answers: Vec<Result<Vec<RecordedScan>, NotRecorded>> = match together {
        Ok(all) => all.into_iter().map(Ok).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "scan group failed; retrying batch by batch");
            group
                .iter()
                .map(|batch| {
                    db::write_transaction(conn, |conn| decide_batch(conn, batch))
                        .map_err(|e| NotRecorded::DatabaseUnavailable(e.to_string()))
                })
                .collect()
        }
    };
    let all_stored = answers.iter().all(Result::is_ok);
    let mut committed = Vec::new();
    let mut replies = Vec::new();
    for (batch, answer) in group.into_iter().zip(answers) {
        match answer {
            Ok(answers) => {
                replies.push((batch.reply, None));
                committed.push(CommittedBatch {
                    tenant: batch.tenant,
                    device: batch.device,
                    scans: batch.scans,
                    answers,
                });
            }
            Err(e) => replies.push((batch.reply, Some(e))),
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
    all_stored
}

fn decide_batch(conn: &mut DbConnection, batch: &Batch) -> diesel::QueryResult<Vec<RecordedScan>> {
    super::queries::mark_device_seen(conn, batch.device.device_id, db::now_ms())?;
    record_batch(conn, &batch.tenant, batch.device, &batch.scans)
}
