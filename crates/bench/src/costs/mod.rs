//! `voelgoed-bench bench-costs --case NAME [--repeat N]`: one hot path, run on a small fixture
//! seeded the same way every run (`fixture.rs`), with the real server in this process,
//! warmed up, then run N times between callgrind's START_INSTRUMENTATION and
//! STOP_INSTRUMENTATION client requests, each run counted on its own (`window.rs`).
//! `scripts/costs.sh` runs every case under `valgrind --tool=callgrind
//! --instr-atstart=no` and compares the instructions per run with
//! `tests/costs/baseline.txt` (BENCHMARKS.md, "Cost counts (callgrind)"). Outside
//! valgrind a case just runs.
//!
//! Counting is global: the server's threads (HTTP workers, the scan writer, the hub's
//! renders) and this client's are counted together, so the client is a minimal one
//! over loopback (`http.rs`, `live.rs`), and every run waits for the whole of the work
//! it started (rows rendered after the answer, a view's render) before it ends.

mod arrivals;
mod callgrind;
mod changes;
mod fanout;
mod fixture;
mod http;
mod layers;
mod live;
mod pages;
mod renders;
mod scans;
mod window;

use fixture::Fixture;
use window::measure;

#[derive(clap::Args, Debug)]
pub struct CostOptions {
    /// The case to run.
    #[arg(long, value_enum)]
    case: Case,
    /// Runs measured, after the warm-up [10; 3 for `scan-batch-500`, 1 for `fanout-1000`].
    #[arg(long)]
    repeat: Option<usize>,
}

/// The hot paths measured (BENCHMARKS.md says what each one covers).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    #[value(name = "scan-batch-1")]
    ScanBatch1,
    #[value(name = "scan-batch-500")]
    ScanBatch500,
    /// `scan-batch-1` at a gate that is a passage into a zone (the event has zones).
    #[value(name = "scan-batch-1-zoned")]
    ScanBatch1Zoned,
    DashboardWarm,
    DashboardCold,
    MonitorFirstLoad,
    OrdersFirstPage,
    OrdersSearch,
    RenderDashboard,
    RenderMonitorPanel,
    RenderArrivals,
    RenderGateAlerts,
    RenderOverview,
    RenderOrderRows,
    RenderKiosk,
    #[value(name = "fanout-1000")]
    Fanout1000,
    /// One scan through each stack of middleware (`layers.rs`), each reported on its own.
    ScanRequestLayers,
}

impl Case {
    fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self).map_or_else(String::new, |v| v.get_name().to_owned())
    }

    /// Runs measured unless `--repeat` says otherwise, and runs of warm-up before them:
    /// enough that every pooled connection a run may take has prepared its statements
    /// (a page loads its panels side by side, each on a connection of its own, and which
    /// one takes which query changes from run to run).
    fn runs(self) -> (usize, usize) {
        match self {
            Case::ScanBatch500 => (3, 2),
            Case::Fanout1000 => (1, 1),
            Case::ScanRequestLayers => (10, 3),
            _ => (10, 10),
        }
    }
}

pub async fn run(options: CostOptions) -> anyhow::Result<()> {
    let case = options.case;
    let (default_repeat, warm_up) = case.runs();
    let repeat = options.repeat.unwrap_or(default_repeat).max(1);
    let mut fixture = Fixture::start().await?;
    let outcome = run_case(case, &mut fixture, warm_up, repeat).await;
    let _ = std::fs::remove_dir_all(&fixture.dir);
    outcome?;
    println!("{} {repeat}", case.name());
    Ok(())
}

async fn run_case(case: Case, fixture: &mut Fixture, warm_up: usize, repeat: usize) -> anyhow::Result<()> {
    match case {
        Case::ScanBatch1 | Case::ScanBatch500 | Case::ScanBatch1Zoned => {
            let size = if case == Case::ScanBatch500 { 500 } else { 1 };
            if case == Case::ScanBatch1Zoned {
                scans::zone_the_gate(fixture)?;
            }
            let mut batch = scans::ScanBatch::new(fixture, size).await?;
            measure(&mut batch, fixture, warm_up, repeat).await
        }
        Case::DashboardWarm
        | Case::DashboardCold
        | Case::MonitorFirstLoad
        | Case::OrdersFirstPage
        | Case::OrdersSearch => {
            let mut page = pages::Page::new(fixture, case).await?;
            measure(&mut page, fixture, warm_up, repeat).await
        }
        Case::RenderArrivals => {
            let mut arrivals = arrivals::Arrivals::new(fixture).await?;
            measure(&mut arrivals, fixture, warm_up, repeat).await
        }
        Case::RenderDashboard
        | Case::RenderMonitorPanel
        | Case::RenderGateAlerts
        | Case::RenderOverview
        | Case::RenderOrderRows
        | Case::RenderKiosk => {
            let mut render = renders::StreamRender::new(fixture, case).await?;
            measure(&mut render, fixture, warm_up, repeat).await
        }
        Case::ScanRequestLayers => layers::run(fixture, warm_up, repeat).await,
        Case::Fanout1000 => {
            let mut fanout = fanout::Fanout::open(fixture, 1_000).await?;
            measure(&mut fanout, fixture, warm_up, repeat).await
        }
    }
}
