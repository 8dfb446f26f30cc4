//! The long run's view of the server (`--sample-every`): its memory every so often while
//! the scans flow, printed as it goes (the curve BENCHMARKS.md records), and at the end
//! whether it levelled off over the run's second half, whether every stream lived
//! throughout, and whether the memory came back once the clients closed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::server::{self, Sample};
use super::Run;

/// How flat the second half's memory must stay, and how near to idle it must come back
/// after the clients close (issue 24: within 3 % and 10 %).
const FLAT_WITHIN: f64 = 0.03;
const BACK_WITHIN: f64 = 0.10;

/// Samples taken so far, and the task taking them.
pub struct Curve {
    samples: Arc<Mutex<Vec<Sample>>>,
    task: tokio::task::JoinHandle<()>,
    started: Instant,
}

/// Samples the server every `every`, printing each sample as it is taken.
pub fn start(pid: u32, every: Duration) -> Curve {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let kept = samples.clone();
    let task = actix_web::rt::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let Ok(sample) = server::sample(pid) else { return };
            println!(
                "soak {:>5} s: RSS {} KB, without mapped pages {} KB, open files {}",
                started.elapsed().as_secs(),
                sample.rss_kb,
                sample.anonymous_kb(),
                sample.open_files
            );
            if let Ok(mut samples) = kept.lock() {
                samples.push(sample);
            }
        }
    });
    Curve { samples, task, started }
}

impl Curve {
    /// Stops sampling and says whether the second half was flat and every stream lived.
    pub fn finish(self, run: &Run) {
        self.task.abort();
        let samples = self.samples.lock().map(|s| s.clone()).unwrap_or_default();
        let half = self.started + self.started.elapsed() / 2;
        let second_half: Vec<u64> = samples
            .iter()
            .filter(|s| s.at >= half)
            .map(Sample::anonymous_kb)
            .collect();
        if let (Some(low), Some(high)) = (second_half.iter().min(), second_half.iter().max()) {
            let spread = *high as f64 / (*low).max(1) as f64 - 1.0;
            println!(
                "soak: RSS without mapped pages over the second half {low} – {high} KB ({} samples), \
                 spread {:.1} % (flat within {:.0} %: {})",
                second_half.len(),
                spread * 100.0,
                FLAT_WITHIN * 100.0,
                verdict(spread <= FLAT_WITHIN)
            );
        }
        let reconnected = run
            .clients
            .iter()
            .filter(|(_, _, seen, _)| seen.lock().map_or(true, |s| s.connects.len() != 1))
            .count();
        println!(
            "soak: streams that ended and came back (or never streamed): {reconnected} of {} ({})",
            run.clients.len(),
            verdict(reconnected == 0)
        );
    }
}

/// Says whether the memory, `after` the clients closed, is back near its `idle` level.
pub fn back_after_close(idle: &Sample, after: &Sample, waited: Duration) {
    let (idle_kb, after_kb) = (idle.anonymous_kb(), after.anonymous_kb());
    let above = after_kb as f64 / idle_kb.max(1) as f64 - 1.0;
    println!(
        "soak: {} s after the clients closed, RSS without mapped pages {after_kb} KB against {idle_kb} KB \
         before they opened ({:+.1} %; within {:.0} %: {})",
        waited.as_secs(),
        above * 100.0,
        BACK_WITHIN * 100.0,
        verdict(above <= BACK_WITHIN)
    );
}

fn verdict(held: bool) -> &'static str {
    if held {
        "held"
    } else {
        "missed"
    }
}
