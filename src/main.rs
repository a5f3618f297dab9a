//! The `simfra` binary: reads settings, sets up logging, serves until SIGINT/SIGTERM.
//! `simfra health` instead asks a running server whether it is healthy (the container image's
//! health check: no HTTP client needs to be installed beside simfra).

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    if std::env::args().nth(1).as_deref() == Some("health") {
        return health();
    }
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

/// `GET /_simfra/health` on loopback at `SIMFRA_PORT` (default 4599): success when it answers
/// 200 within two seconds.
fn health() -> std::process::ExitCode {
    use std::io::{Read, Write};
    use std::time::Duration;
    let port: u16 = match std::env::var("SIMFRA_PORT") {
        Err(_) => 4599,
        Ok(p) => match p.parse() {
            Ok(p) => p,
            Err(_) => {
                eprintln!("SIMFRA_PORT={p:?} is not a port number");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let answer = (|| -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        s.set_read_timeout(Some(Duration::from_secs(2)))?;
        s.write_all(b"GET /_simfra/health HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    })();
    match answer {
        Ok(a) if a.starts_with("HTTP/1.1 200") || a.starts_with("HTTP/1.0 200") => {
            let body = a.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
            println!("{body}");
            std::process::ExitCode::SUCCESS
        }
        Ok(a) => {
            eprintln!(
                "simfra on {addr} answered: {}",
                a.lines().next().unwrap_or("")
            );
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("simfra does not answer on {addr}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
