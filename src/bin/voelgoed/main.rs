//! `voelgoed`: the organiser console's server binary. The console itself is the library
//! (`voelgoed::…`); the commands around it live here: the command line (`cli`), the admin
//! commands (`admin`) and the demo data and simulator (`demo`). The benchmarks are a
//! binary of their own, `voelgoed-bench` (crates/bench), so this one carries none of them.

mod admin;
mod cli;
mod database;
mod demo;
mod switch;

/// mimalloc rather than glibc's malloc: under the gates' load, allocating and freeing took
/// a third of the HTTP workers' time (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    voelgoed::telemetry::init();
    match cli::run(clap::Parser::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("voelgoed: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
