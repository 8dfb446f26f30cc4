//! Group commit: one writer thread takes every scan batch that is waiting, decides them
//! all in one transaction, commits once, and only then answers each request. Durable
//! acknowledgements without one commit (and one fsync) per request; on SQLite the log is
//! synced beside the writer (`acknowledge`). After the commit and before any answer,
//! `Publisher` tells the counters, the scan log and the live channels
//! what changed: `record_scans` is the one way scans are recorded (device API, demo
//! simulator, benchmarks), so none of them carries a copy of the publish rule.
//!
//! The gates never wait on a resource the pages share: the writer owns its database
//! connection (reopened when it breaks). It is supervised: a panic while deciding a
//! group answers that group's devices "retry", drops the connection (it may be inside
//! a transaction) and goes on with the next group.

mod acknowledge;
mod group;

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::model::{GateDevice, RecordedScan, ScanAttempt};
pub use super::publish::CommittedBatch;
use super::publish::{Decisions, Publisher};
use crate::config::WriterFaults;
use crate::db::{ConnectionManager, Tenant};
use group::Writer;

/// Batches that may wait for the writer before senders are slowed down.
const QUEUE: usize = 1_024;
/// How long a ping's answer stands for every readiness check: however often `/readyz`
/// is asked (it needs no sign-in), the scans' queue carries at most one ping at a time
/// and about one a second.
const PING_KEPT: Duration = Duration::from_secs(1);

/// Why a batch was not recorded. Nothing of it was stored: the device sends it again.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotRecorded {
    #[error("the scan database is unavailable ({0}); nothing was recorded, send the scans again")]
    DatabaseUnavailable(String),
    #[error("the scan writer restarted while deciding these scans; send them again")]
    WriterRestarted,
    #[error("the scan writer is shutting down; send the scans again")]
    Stopped,
    /// Stored, but the disk did not confirm it: a resend replays the stored answers.
    #[error("the disk did not confirm these scans ({0}); send them again")]
    NotSynced(String),
}

/// Where a batch's answer goes.
type Reply = oneshot::Sender<Result<Vec<RecordedScan>, NotRecorded>>;

/// Panics (inside the group's transaction) when the batch holds the code the faults
/// mark: the tests of the writer's supervision only.
fn inject_faults(faults: &WriterFaults, batch: &Batch) {
    if let Some(code) = &faults.panic_on_ticket_code {
        if batch.scans.iter().any(|s| &s.ticket_code == code) {
            panic!("injected fault: ticket code {code}");
        }
    }
}

/// What the writer thread is asked to do.
enum Job {
    Record {
        tenant: Tenant,
        device: GateDevice,
        scans: Vec<ScanAttempt>,
        reply: Reply,
    },
    /// Answered by the writer loop when it is alive and has a working connection.
    Ping(oneshot::Sender<Result<(), NotRecorded>>),
}

/// The handle every caller records scans through.
#[derive(Clone)]
pub struct ScanWriter {
    jobs: mpsc::Sender<Job>,
    decisions: std::sync::Arc<Decisions>,
    pings: std::sync::Arc<Pings>,
}

/// The last ping's answer, and the lock one ping at a time holds.
#[derive(Default)]
struct Pings {
    last: std::sync::Mutex<Option<(Instant, Result<(), String>)>>,
    asking: tokio::sync::Mutex<()>,
    sent: std::sync::atomic::AtomicU64,
}

impl Pings {
    fn recent(&self) -> Option<Result<(), String>> {
        let last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        last.as_ref()
            .filter(|(at, _)| at.elapsed() < PING_KEPT)
            .map(|(_, answer)| answer.clone())
    }

    fn keep(&self, answer: &Result<(), String>) {
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *last = Some((Instant::now(), answer.clone()));
    }
}

impl ScanWriter {
    pub fn start(connections: ConnectionManager, publisher: Publisher, faults: WriterFaults) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let decisions = publisher.decisions();
        let acknowledger = acknowledge::Acknowledger::start(
            publisher,
            connections.sqlite_log_to_sync(),
            faults.failing_log_syncs.clone(),
        );
        let mut writer = Writer {
            connections,
            conn: None,
            retry_connect_at: Instant::now(),
            acknowledger,
            faults,
            metrics: group::GroupMetrics::resolve(),
        };
        std::thread::Builder::new()
            .name("scan-writer".into())
            .spawn(move || writer.run(queue))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the scan writer"));
        Self {
            jobs,
            decisions,
            pings: Default::default(),
        }
    }

    /// Pings sent into the scans' queue so far.
    pub fn pings_sent(&self) -> u64 {
        self.pings.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The scans recorded through this writer, by result (for `/metrics`).
    pub fn decided(&self, result: super::model::ScanResult) -> u64 {
        self.decisions.of(result)
    }

    /// Decides and durably records a device's batch, and publishes what changed
    /// (counters, scan-log rows, one update per live channel) before answering, in the
    /// batch's order: whatever a device is told is already on the screens.
    pub async fn record_scans(
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
        if let Some(answer) = self.pings.recent() {
            return answer;
        }
        let Ok(_asking) = tokio::time::timeout(timeout, self.pings.asking.lock()).await else {
            return Err(unanswered(timeout));
        };
        // Answered while this check waited for its turn.
        if let Some(answer) = self.pings.recent() {
            return answer;
        }
        self.pings.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let answer = self.ask(timeout).await;
        self.pings.keep(&answer);
        answer
    }

    async fn ask(&self, timeout: Duration) -> Result<(), String> {
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
            Err(_) => Err(unanswered(timeout)),
        }
    }
}

fn unanswered(timeout: Duration) -> String {
    format!("the scan writer did not answer within {} ms", timeout.as_millis())
}

/// One device's batch waiting for its decision.
struct Batch {
    tenant: Tenant,
    device: GateDevice,
    scans: Vec<ScanAttempt>,
    reply: Reply,
}
