//! `fanout-1000`: one frame of the event dashboard delivered to 1,000 open streams (16
//! per session, as many as a session may hold). The streams are open before the window;
//! inside it, one update on the event's occupancy channel after a sale: the metrics
//! computed again, the view rendered once, each stream sent its changed parts, and
//! every client's reading of them, until the last has read the whole frame.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::changes::sell_one;
use super::fixture::Fixture;
use super::live::LiveStream;
use super::window::Operation;
use voelgoed::auth::MAX_PER_SESSION;
use voelgoed::live::{Channel, Update, UpdateKind};
use voelgoed::paths;

/// A frame counts as delivered once no message has come for this long (warm-up only).
const QUIET: Duration = Duration::from_secs(1);

/// What the client tasks count, together.
#[derive(Default)]
struct Counts {
    opened: AtomicUsize,
    failed: AtomicUsize,
    /// Messages with data read by all clients.
    delivered: AtomicUsize,
    /// When `delivered` reaches this, `all_read` is told.
    target: AtomicUsize,
    all_read: Notify,
}

pub struct Fanout {
    clients: usize,
    counts: Arc<Counts>,
    update: Update,
    /// Messages per client of one frame: learnt in the warm-up.
    parts: usize,
    measuring: bool,
    renders_before: u64,
}

impl Fanout {
    /// Opens `clients` dashboard streams and waits until each has its first frame.
    pub async fn open(fixture: &Fixture, clients: usize) -> anyhow::Result<Self> {
        let counts = Arc::new(Counts::default());
        let path = paths::event_dashboard_stream(fixture.event_id);
        for first in (0..clients).step_by(MAX_PER_SESSION) {
            let session = fixture.session().await?;
            for _ in first..(first + MAX_PER_SESSION).min(clients) {
                let (path, session, counts) = (path.clone(), session.clone(), counts.clone());
                tokio::spawn(client(fixture.address, path, session, counts));
            }
        }
        while counts.opened.load(Ordering::SeqCst) + counts.failed.load(Ordering::SeqCst) < clients {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let failed = counts.failed.load(Ordering::SeqCst);
        anyhow::ensure!(failed == 0, "{failed} of {clients} streams could not open");
        quiet(&counts).await;
        Ok(Self {
            clients,
            counts,
            update: Update {
                channel: Channel::occupancy(&fixture.tenant, fixture.event_id),
                kind: UpdateKind::TicketSold,
            },
            parts: 0,
            measuring: false,
            renders_before: 0,
        })
    }

    fn delivered(&self) -> usize {
        self.counts.delivered.load(Ordering::SeqCst)
    }
}

/// One stream, counting the messages with data it reads, until it ends.
async fn client(address: std::net::SocketAddr, path: String, session: String, counts: Arc<Counts>) {
    let Ok(mut stream) = LiveStream::open(address, &path, Some(&session)).await else {
        counts.failed.fetch_add(1, Ordering::SeqCst);
        return;
    };
    counts.opened.fetch_add(1, Ordering::SeqCst);
    while let Ok(message) = stream.next_message().await {
        if message && counts.delivered.fetch_add(1, Ordering::SeqCst) + 1 == counts.target.load(Ordering::SeqCst) {
            counts.all_read.notify_one();
        }
    }
}

/// Until no client has read anything for `QUIET`.
async fn quiet(counts: &Counts) {
    let mut last = counts.delivered.load(Ordering::SeqCst);
    loop {
        tokio::time::sleep(QUIET).await;
        let now = counts.delivered.load(Ordering::SeqCst);
        if now == last {
            return;
        }
        last = now;
    }
}

impl Operation for Fanout {
    async fn prepare(&mut self, fixture: &mut Fixture, _run: usize) -> anyhow::Result<()> {
        sell_one(fixture).await?;
        self.renders_before = fixture.services.hub.renders();
        let target = self.delivered() + self.clients * self.parts;
        self.counts.target.store(target, Ordering::SeqCst);
        Ok(())
    }

    async fn run(&mut self, fixture: &mut Fixture, _run: usize) -> anyhow::Result<()> {
        let before = self.delivered();
        fixture.services.bus.publish(self.update.clone());
        if !self.measuring {
            quiet(&self.counts).await;
            let read = self.delivered() - before;
            anyhow::ensure!(
                read > 0 && read.is_multiple_of(self.clients),
                "{read} messages for {} clients",
                self.clients
            );
            self.parts = read / self.clients;
            return Ok(());
        }
        let target = self.counts.target.load(Ordering::SeqCst);
        while self.delivered() < target {
            self.counts.all_read.notified().await;
        }
        Ok(())
    }

    async fn before_measuring(&mut self, _fixture: &mut Fixture) -> anyhow::Result<()> {
        self.measuring = true;
        Ok(())
    }

    async fn check(&mut self, fixture: &mut Fixture) -> anyhow::Result<()> {
        let renders = fixture.services.hub.renders() - self.renders_before;
        anyhow::ensure!(renders == 1, "{renders} views rendered in the window, not 1");
        Ok(())
    }

    async fn finish(&mut self, _fixture: &mut Fixture) -> anyhow::Result<()> {
        let target = self.counts.target.load(Ordering::SeqCst);
        quiet(&self.counts).await;
        let late = self.delivered() - target;
        anyhow::ensure!(late == 0, "{late} messages came after the window");
        Ok(())
    }
}
