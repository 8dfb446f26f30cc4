//! The measured runs: an operation warmed up (caches, prepared statements and lazy
//! statics filled), then run under callgrind's instrumentation, each run in a window of
//! its own: what it needs is arranged before it, the counts are zeroed as it starts and
//! dumped (as `callgrind::RUN_DUMP`) as soon as it is done, and what it did is checked
//! after. Instrumentation stays on from the first run to the last: starting it again
//! costs valgrind a fresh translation of all the code, a second or more each time,
//! during which the server's own timers tick into the count.

use super::callgrind;
use super::fixture::Fixture;

/// One case's operation.
pub trait Operation {
    /// Before each run (warm-up runs included), not counted: fresh tickets, a change
    /// for a view to show.
    async fn prepare(&mut self, _fixture: &mut Fixture, _run: usize) -> anyhow::Result<()> {
        Ok(())
    }

    /// What is counted: the operation and all the work it starts, to its end.
    async fn run(&mut self, fixture: &mut Fixture, run: usize) -> anyhow::Result<()>;

    /// Once between the warm-up and the first measured run.
    async fn before_measuring(&mut self, _fixture: &mut Fixture) -> anyhow::Result<()> {
        Ok(())
    }

    /// After each measured run, not counted: that it did what it should, and nothing
    /// else ran meanwhile (a cache that should have held, a view redrawn by its clock).
    async fn check(&mut self, _fixture: &mut Fixture) -> anyhow::Result<()> {
        Ok(())
    }

    /// After the last measured run: nothing of it is still arriving.
    async fn finish(&mut self, _fixture: &mut Fixture) -> anyhow::Result<()> {
        Ok(())
    }
}

pub async fn measure<O: Operation>(
    operation: &mut O,
    fixture: &mut Fixture,
    warm_up: usize,
    repeat: usize,
) -> anyhow::Result<()> {
    for run in 0..warm_up {
        operation.prepare(fixture, run).await?;
        operation.run(fixture, run).await?;
    }
    operation.before_measuring(fixture).await?;
    callgrind::start();
    let measured = measured_runs(operation, fixture, warm_up..warm_up + repeat).await;
    callgrind::stop();
    measured?;
    operation.finish(fixture).await
}

async fn measured_runs<O: Operation>(
    operation: &mut O,
    fixture: &mut Fixture,
    runs: std::ops::Range<usize>,
) -> anyhow::Result<()> {
    for run in runs {
        operation.prepare(fixture, run).await?;
        callgrind::zero();
        let ran = operation.run(fixture, run).await;
        callgrind::dump_run();
        ran?;
        operation.check(fixture).await?;
    }
    Ok(())
}
