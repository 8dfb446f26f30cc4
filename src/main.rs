//! `voelgoed`: the organiser console's one binary. Everything lives in the library.

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    voelgoed::telemetry::init();
    match voelgoed::cli::run(clap::Parser::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("voelgoed: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
