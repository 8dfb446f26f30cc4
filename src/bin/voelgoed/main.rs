//! `voelgoed`: the organiser console's one binary. The console itself is the library
//! (`voelgoed::…`); the tools around it live here: the command line (`cli`), the admin
//! commands (`admin`), the demo data and simulator (`demo`) and the benchmarks (`bench`).

mod admin;
mod bench;
mod cli;
mod database;
mod demo;
mod switch;

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
