//! The writer thread: takes every batch that is waiting as one group, decides it in one
//! transaction (each batch alone when the group fails), publishes the commit, answers.
//! Supervised: a panic answers the group's devices "retry" and drops the connection.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use diesel::r2d2::{ManageConnection, R2D2Connection};
use tokio::sync::mpsc;

use super::acknowledge::{Acknowledger, Settled};
use super::{inject_faults, Batch, CommittedBatch, Job, NotRecorded};
use crate::admission::{record_group, DeviceBatch};
use crate::config::WriterFaults;
use crate::db::{self, ConnectionManager, DbConnection};
use crate::model::RecordedScan;

/// Most scans decided in one transaction; more wait for the next one.
const MAX_GROUP_SCANS: usize = 4_000;
/// After a failed connection attempt, the next one waits this long (groups that arrive
/// meanwhile are answered "retry" at once instead of each waiting for a connect).
const RECONNECT_PAUSE: Duration = Duration::from_millis(250);

pub(super) struct Writer {
    pub(super) connections: ConnectionManager,
    pub(super) conn: Option<DbConnection>,
    pub(super) retry_connect_at: Instant,
    pub(super) acknowledger: Acknowledger,
    pub(super) faults: WriterFaults,
    pub(super) metrics: GroupMetrics,
}

/// The writer's histograms, looked up once.
pub(super) struct GroupMetrics {
    scans: metrics::Histogram,
    commit: metrics::Histogram,
}

impl GroupMetrics {
    pub(super) fn resolve() -> Self {
        Self {
            scans: metrics::histogram!("voelgoed_scan_writer_group_scans"),
            commit: metrics::histogram!("voelgoed_scan_writer_commit_seconds"),
        }
    }
}

/// A group of batches taken from the queue together.
struct Group {
    jobs: Vec<Job>,
    scans: usize,
}

impl Writer {
    /// Runs until every sender is gone (the server stopped), deciding one group at a time.
    pub(super) fn run(&mut self, mut queue: mpsc::Receiver<Job>) {
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
        let all_stored = commit_group(conn, records, &self.acknowledger, &self.faults, &self.metrics);
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
        let connected = self.connections.connect().and_then(|mut conn| {
            db::tune_scan_writer(&mut conn, self.acknowledger.syncs_the_log())
                .map_err(diesel::r2d2::Error::QueryError)?;
            Ok(conn)
        });
        match connected {
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

/// Commits the whole group at once; if that fails, each batch alone, so one bad batch
/// cannot fail the others; then hands it to be acknowledged (durable, published, then
/// answered: whatever a device was told is already on the screens). True when every
/// batch was stored.
fn commit_group(
    conn: &mut DbConnection,
    group: Vec<Batch>,
    acknowledger: &Acknowledger,
    faults: &WriterFaults,
    metrics: &GroupMetrics,
) -> bool {
    let started = Instant::now();
    metrics
        .scans
        .record(group.iter().map(|batch| batch.scans.len()).sum::<usize>() as f64);
    let together = db::write_transaction(conn, |conn| {
        group.iter().for_each(|batch| inject_faults(faults, batch));
        let batches: Vec<DeviceBatch> = group.iter().map(Batch::to_decide).collect();
        record_group(conn, &batches)
    });
    metrics.commit.record(started.elapsed().as_secs_f64());
    let answers: Vec<Result<Vec<RecordedScan>, NotRecorded>> = match together {
        Ok(all) => all.into_iter().map(Ok).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "scan group failed; retrying batch by batch");
            group
                .iter()
                .map(|batch| {
                    db::write_transaction(conn, |conn| record_group(conn, &[batch.to_decide()]))
                        .map(|mut answers| answers.pop().unwrap_or_default())
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
    acknowledger.settle(Settled { committed, replies });
    all_stored
}

impl Batch {
    fn to_decide(&self) -> DeviceBatch<'_> {
        DeviceBatch {
            tenant: &self.tenant,
            device: self.device,
            attempts: &self.scans,
        }
    }
}
