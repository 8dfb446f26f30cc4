//! `render-arrivals`: the arrivals are kept between renders, so the case renders a view
//! of a fresh cache: a render that computes them.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::fixture::Fixture;
use super::window::Operation;
use voelgoed::arrivals::{self, ArrivalsCache};
use voelgoed::events::Event;
use voelgoed::live::{Channel, Frame};

/// `render-arrivals`: the arrivals view of a fresh cache, on a channel of its own, so
/// its first render computes them (as a render does once they are `arrivals_every`
/// old): the queries, the forecast and the fragments.
pub struct Arrivals {
    event: Event,
    cache: Option<Arc<ArrivalsCache>>,
    frames: Option<BoxStream<'static, Frame>>,
    renders_before: u64,
}

impl Arrivals {
    pub async fn new(fixture: &Fixture) -> anyhow::Result<Self> {
        let event = voelgoed::events::load_event(&fixture.pool(), fixture.tenant, fixture.event_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self {
            event,
            cache: None,
            frames: None,
            renders_before: 0,
        })
    }
}

impl Operation for Arrivals {
    /// The last run's view closed (its task gone), and a fresh cache.
    async fn prepare(&mut self, fixture: &mut Fixture, _run: usize) -> anyhow::Result<()> {
        let hub = fixture.services.hub.get_ref();
        if self.frames.take().is_some() {
            let channels = hub.live_channels();
            while hub.live_channels() >= channels {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let services = &fixture.services;
        let settings = &services.settings;
        self.cache = Some(Arc::new(ArrivalsCache::new(
            fixture.pool(),
            services.scan_counters.clone().into_inner(),
            (settings.arrivals_every, settings.arrivals_first_paint),
            services.panels.get_ref().clone(),
        )));
        self.renders_before = services.hub.renders();
        Ok(())
    }

    async fn run(&mut self, fixture: &mut Fixture, run: usize) -> anyhow::Result<()> {
        let cache = self.cache.take().ok_or_else(|| anyhow::anyhow!("no cache"))?;
        let channel = Channel::scans(&fixture.tenant, 1_000_000 + run as i64);
        let hub = fixture.services.hub.get_ref();
        let mut frames = arrivals::arrivals_frames(hub, channel, cache, fixture.tenant, self.event.clone()).boxed();
        frames
            .next()
            .await
            .ok_or_else(|| anyhow::anyhow!("the arrivals view sent nothing"))?;
        self.frames = Some(frames);
        Ok(())
    }

    async fn check(&mut self, fixture: &mut Fixture) -> anyhow::Result<()> {
        let renders = fixture.services.hub.renders() - self.renders_before;
        anyhow::ensure!(renders == 1, "{renders} views rendered in the window, not 1");
        Ok(())
    }
}
