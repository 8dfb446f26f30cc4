//! What a committed group goes through before its devices hear of it: made durable,
//! published (counters, scan log, live channels), then answered, in that order.
//!
//! On SQLite at synchronous `FULL` the writer commits without waiting for the disk and
//! hands the group to the log syncer, a thread of its own: it syncs the write-ahead log
//! once for every group that committed meanwhile, then publishes and answers them. The
//! writer decides the next group while the disk works, and an acknowledged scan is as
//! durable as with a sync inside every commit. Elsewhere (PostgreSQL, whose server
//! syncs; SQLite at `NORMAL`) the writer publishes and answers at once.

use std::fs::File;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};

use super::{CommittedBatch, NotRecorded, Reply};
use crate::config::FailingSyncs;
use crate::publish::Publisher;

/// A committed group: its stored batches, and every batch's reply with its failure, if
/// any, in the group's order.
pub(super) struct Settled {
    pub(super) committed: Vec<CommittedBatch>,
    pub(super) replies: Vec<(Reply, Option<NotRecorded>)>,
}

impl Settled {
    /// Publishes what was stored, then answers each batch. When the log could not be
    /// synced the stored batches are answered "retry": a resend replays their answers.
    fn acknowledge(self, publisher: &Publisher, unsynced: Option<&NotRecorded>) {
        publisher.committed(&self.committed);
        let mut answered = self.committed.into_iter();
        for (reply, failure) in self.replies {
            let answer = match (failure, unsynced) {
                (Some(e), _) => Err(e),
                (None, Some(e)) => Err(e.clone()),
                (None, None) => Ok(answered.next().map(|batch| batch.answers).unwrap_or_default()),
            };
            // The device may have hung up; its scans are recorded and a resend replays them.
            let _ = reply.send(answer);
        }
    }
}

/// Where the writer hands each committed group.
pub(super) enum Acknowledger {
    Now(Arc<Publisher>),
    AfterSync(mpsc::Sender<Settled>),
}

impl Acknowledger {
    /// Starts the log syncer when `log` names a file to sync (see the module's comment).
    pub(super) fn start(publisher: Publisher, log: Option<PathBuf>, failing: FailingSyncs) -> Self {
        let publisher = Arc::new(publisher);
        let Some(log) = log else {
            return Self::Now(publisher);
        };
        let (groups, queue) = mpsc::channel();
        let syncer_publishes = Arc::clone(&publisher);
        let started = std::thread::Builder::new()
            .name("scan-log-sync".into())
            .spawn(move || sync_and_acknowledge(&log, &syncer_publishes, &queue, &failing));
        match started {
            Ok(_) => Self::AfterSync(groups),
            Err(e) => {
                // The writer then commits with the sync inside, as without a syncer.
                tracing::error!(error = %e, "cannot start the scan log's syncer; the writer syncs itself");
                Self::Now(publisher)
            }
        }
    }

    /// Whether the writer's connection may commit without syncing (this syncs instead).
    pub(super) fn syncs_the_log(&self) -> bool {
        matches!(self, Self::AfterSync(_))
    }

    pub(super) fn settle(&self, group: Settled) {
        match self {
            Self::Now(publisher) => group.acknowledge(publisher, None),
            // A closed queue drops the replies: the devices are told to retry.
            Self::AfterSync(syncer) => drop(syncer.send(group)),
        }
    }
}

/// The syncer's loop: every group waiting, one sync, then each group acknowledged in
/// the order it committed. Ends when the writer is gone.
fn sync_and_acknowledge(log: &Path, publisher: &Publisher, queue: &mpsc::Receiver<Settled>, failing: &FailingSyncs) {
    while let Ok(first) = queue.recv() {
        let groups: Vec<Settled> = std::iter::once(first).chain(queue.try_iter()).collect();
        let synced = match failing.take() {
            true => Err(io::Error::other("injected fault")),
            false => sync(log),
        };
        let unsynced = synced.err().map(|e| {
            tracing::error!(error = %e, log = %log.display(), "cannot sync the scans' log; devices are told to retry");
            NotRecorded::NotSynced(e.to_string())
        });
        for group in groups {
            // A panic drops this group's replies (its devices retry); the next go on.
            let acknowledged = catch_unwind(AssertUnwindSafe(|| group.acknowledge(publisher, unsynced.as_ref())));
            if acknowledged.is_err() {
                tracing::error!("publishing a committed scan group panicked; its devices retry");
            }
        }
    }
}

/// Brings the log's written pages to the disk. Opened each time, as SQLite may remove
/// and recreate the log; a log that is gone was checkpointed into the database file,
/// which SQLite synced before removing it.
fn sync(log: &Path) -> io::Result<()> {
    match File::open(log) {
        Ok(file) => file.sync_data(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
