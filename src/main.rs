//! The `simfra` binary: reads settings, sets up logging, serves until SIGINT/SIGTERM.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let settings = simfra::Settings::parse();
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
    match actix_web::rt::System::new().block_on(simfra::server::run(settings)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("simfra: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
