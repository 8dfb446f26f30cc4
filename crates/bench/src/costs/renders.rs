//! The `render-…` cases of a live view reached through its page's stream
//! (`StreamRender`): one hub render. The view's data are changed outside the window;
//! inside it, one update is published on the view's channel and the client reads the
//! frame's changed parts (their number learnt in the warm-up). `render-arrivals` is in
//! `arrivals.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::changes::{Change, QuietWriter};
use super::fixture::Fixture;
use super::live::LiveStream;
use super::window::Operation;
use super::Case;
use voelgoed::live::{frame, render_with, Channel, Frame, Hub, Update, UpdateKind};
use voelgoed::paths;
use voelgoed::{arrivals, gate_alerts};

/// How long without a message before a frame counts as whole (the warm-up only).
const QUIET: Duration = Duration::from_millis(500);

pub struct StreamRender {
    stream: LiveStream,
    change: Change,
    update: Update,
    /// Messages of one frame: learnt in the warm-up, then read in each window.
    parts: usize,
    measuring: bool,
    renders_before: u64,
    /// Stand-ins for the stream's other views that would redraw in the window.
    stand_ins: Vec<StandIn>,
}

impl StreamRender {
    pub async fn new(fixture: &Fixture, case: Case) -> anyhow::Result<Self> {
        let setup = setup(fixture, case).await?;
        let session = match setup.signed_in {
            true => Some(fixture.session().await?),
            false => None,
        };
        let mut stream = LiveStream::open(fixture.address, &setup.path, session.as_deref()).await?;
        first_frames(&mut stream).await?;
        Ok(Self {
            stream,
            change: setup.change,
            update: setup.update,
            parts: 0,
            measuring: false,
            renders_before: 0,
            stand_ins: setup.stand_ins,
        })
    }

    /// The view, and the stand-ins on its channel.
    fn views(&self) -> u64 {
        let stand_ins = self.stand_ins.iter().filter(|s| s.channel == self.update.channel);
        1 + stand_ins.count() as u64
    }
}

/// A render case's stream, the change it shows and the update that redraws it.
struct Setup {
    path: String,
    change: Change,
    update: Update,
    signed_in: bool,
    stand_ins: Vec<StandIn>,
}

impl Setup {
    fn new(path: String, change: Change, channel: Channel, kind: UpdateKind) -> Self {
        Self {
            path,
            change,
            update: Update { channel, kind },
            signed_in: true,
            stand_ins: Vec::new(),
        }
    }
}

async fn setup(fixture: &Fixture, case: Case) -> anyhow::Result<Setup> {
    let (tenant, event) = (fixture.tenant, fixture.event_id);
    let occupancy = Channel::occupancy(&tenant, event);
    let (scans, alerts) = (Channel::scans(&tenant, event), Channel::alerts(&tenant, event));
    let hub = fixture.services.hub.get_ref();
    let monitor = paths::scan_monitor_stream(event);
    Ok(match case {
        Case::RenderDashboard => Setup::new(
            paths::event_dashboard_stream(event),
            Change::Sale,
            occupancy,
            UpdateKind::TicketSold,
        ),
        // The monitor's other views would redraw too (its arrivals on the same channel,
        // its gate alerts on their clock): stand-ins that render nothing take their place.
        Case::RenderMonitorPanel => Setup {
            stand_ins: vec![
                StandIn::subscribe(
                    hub,
                    scans.clone(),
                    arrivals::ARRIVALS_SSE_EVENT,
                    arrivals::ARRIVALS_SSE_EVENT,
                ),
                StandIn::subscribe(hub, alerts, "alerts-acknowledge", gate_alerts::ALERTS_SSE_EVENT),
            ],
            ..Setup::new(monitor, Change::Heartbeat, scans, UpdateKind::DeviceReported)
        },
        Case::RenderGateAlerts => Setup::new(monitor, Change::Alert, alerts, UpdateKind::AlertChanged),
        Case::RenderOverview => Setup::new(
            paths::events_overview_stream(),
            Change::Sale,
            occupancy,
            UpdateKind::TicketSold,
        ),
        Case::RenderOrderRows => Setup::new(
            paths::ORDERS_STREAM.to_owned(),
            Change::Sale,
            Channel::orders(&tenant),
            UpdateKind::OrderChanged,
        ),
        // The kiosk's gate alerts redraw on their clock: a stand-in takes their place.
        Case::RenderKiosk => {
            let token = kiosk_link(fixture).await?;
            let writer = Change::Scan(Box::new(QuietWriter::start(fixture).await?));
            Setup {
                signed_in: false,
                stand_ins: vec![StandIn::subscribe(
                    hub,
                    alerts,
                    "kiosk-alerts-gate-0",
                    gate_alerts::KIOSK_ALERTS_SSE_EVENT,
                )],
                ..Setup::new(paths::kiosk_stream(&token), writer, scans, UpdateKind::ScanOccurred)
            }
        }
        other => anyhow::bail!("{other:?} is not a live view's render"),
    })
}

/// A view that renders one empty frame, subscribed before the stream that would
/// subscribe the real one: the stream shares it instead (a hub view is keyed by its
/// channel and name). It says when it has rendered, so a window that publishes on its
/// channel can wait for it too rather than end while it runs.
struct StandIn {
    channel: Channel,
    _frames: watch::Receiver<Option<Frame>>,
    rendered: Arc<(AtomicU64, Notify)>,
    /// Its renders before the window.
    before: u64,
}

impl StandIn {
    fn subscribe(hub: &Hub, channel: Channel, view: &str, event: &'static str) -> Self {
        let rendered: Arc<(AtomicU64, Notify)> = Arc::default();
        let render = render_with(rendered.clone(), move |rendered| async move {
            rendered.0.fetch_add(1, Ordering::SeqCst);
            rendered.1.notify_one();
            Ok(frame(event, ""))
        });
        Self {
            _frames: hub.subscribe(channel.clone(), view, render),
            channel,
            rendered,
            before: 0,
        }
    }

    fn renders(&self) -> u64 {
        self.rendered.0.load(Ordering::SeqCst)
    }

    /// Until it has rendered once since the window began.
    async fn rendered_again(&self) {
        while self.renders() <= self.before {
            self.rendered.1.notified().await;
        }
    }
}

/// A kiosk link of the whole event: its token.
async fn kiosk_link(fixture: &Fixture) -> anyhow::Result<String> {
    let request = voelgoed::kiosk::LinkRequest {
        tenant: fixture.tenant,
        user_id: fixture.owner_id,
        event_id: fixture.event_id,
        gate_id: None,
    };
    voelgoed::kiosk::create_kiosk_link(&fixture.pool(), request)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// What a stream sends when it opens: its first message, then whatever follows at once.
async fn first_frames(stream: &mut LiveStream) -> anyhow::Result<usize> {
    while !stream.next_message().await? {}
    Ok(1 + stream.until_quiet(QUIET).await?)
}

impl Operation for StreamRender {
    async fn prepare(&mut self, fixture: &mut Fixture, run: usize) -> anyhow::Result<()> {
        self.change.make(fixture, run).await?;
        self.renders_before = fixture.services.hub.renders();
        self.stand_ins.iter_mut().for_each(|s| s.before = s.renders());
        Ok(())
    }

    async fn run(&mut self, fixture: &mut Fixture, _run: usize) -> anyhow::Result<()> {
        fixture.services.bus.publish(self.update.clone());
        match self.measuring {
            true => self.stream.read_parts(self.parts).await?,
            false => self.parts = first_frames(&mut self.stream).await?,
        }
        for stand_in in self.stand_ins.iter().filter(|s| s.channel == self.update.channel) {
            stand_in.rendered_again().await;
        }
        Ok(())
    }

    async fn before_measuring(&mut self, _fixture: &mut Fixture) -> anyhow::Result<()> {
        self.measuring = true;
        Ok(())
    }

    async fn check(&mut self, fixture: &mut Fixture) -> anyhow::Result<()> {
        let (renders, views) = (fixture.services.hub.renders() - self.renders_before, self.views());
        anyhow::ensure!(
            renders == views,
            "{renders} views rendered in the window, not {views}: something else redrew"
        );
        Ok(())
    }

    async fn finish(&mut self, _fixture: &mut Fixture) -> anyhow::Result<()> {
        let late = self.stream.until_quiet(QUIET).await?;
        anyhow::ensure!(
            late == 0,
            "{late} messages came after the last window: a frame has more parts than learnt"
        );
        Ok(())
    }
}
