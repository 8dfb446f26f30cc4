//! The reconnect storm after the scans (`--reconnect-storm`): every client drops its
//! connection at once, or the server restarts, and how long until all stream again.

use std::time::{Duration, Instant};

use super::client::Command;
use super::{report, server, Run};

/// How the reconnect storm is made.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storm {
    /// Every client drops its connection at once and reconnects.
    Drop,
    /// The server is stopped (SIGTERM) and started again.
    Restart,
}

/// Every client reconnects at once (or the server restarts): how long until all of them
/// stream again.
pub(super) async fn storm_phase(run: &Run, server: &mut server::Server, storm: Storm) -> anyhow::Result<()> {
    let began = Instant::now();
    match storm {
        Storm::Drop => {
            run.commands.send_replace(Command::Reconnect(1));
        }
        Storm::Restart => {
            let down = server.restart().await?;
            println!("storm: server stopped and started again in {:.2} s", down.as_secs_f64());
        }
    }
    let all = report::wait_streaming(run, began, Duration::from_secs(60)).await;
    match all {
        Some(after) => println!(
            "storm ({storm:?}): all {} clients streaming again {:.2} s after it began",
            run.clients.len(),
            after.as_secs_f64()
        ),
        None => println!("storm ({storm:?}): not every client streams again within 60 s"),
    }
    report::storm_spread(run, began);
    Ok(())
}
