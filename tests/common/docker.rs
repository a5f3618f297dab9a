//! The Docker tier's gate: whether a daemon and the locally built test image are there.
//! Elsewhere the Docker tests skip with a message saying why; with `CI=true` a missing daemon
//! or image fails them instead (CI has a daemon, and `.ci/run` builds the image).

use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The image `tests/images/build.sh` builds: Debian minbase with bash, coreutils and the AWS CLI.
pub const TEST_IMAGE: &str = "simfra-test/build:1";

/// True when Docker tests can run. Prints why not otherwise; panics under `CI=true`.
pub fn docker_available() -> bool {
    static PROBLEM: OnceLock<Option<String>> = OnceLock::new();
    let problem = PROBLEM.get_or_init(|| {
        if !succeeds(&["info"]) {
            Some("no Docker daemon answers `docker info`".to_string())
        } else if !succeeds(&["image", "inspect", TEST_IMAGE]) {
            Some(format!(
                "the test image {TEST_IMAGE} is missing (build it with `bash tests/images/build.sh`)"
            ))
        } else {
            None
        }
    });
    match problem {
        None => true,
        Some(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and the Docker tests cannot run: {why}")
        }
        Some(why) => {
            eprintln!("skipping a Docker test: {why}");
            false
        }
    }
}

/// Runs the docker CLI quietly; true when it exits 0.
fn succeeds(args: &[&str]) -> bool {
    Command::new("docker")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Settings of a server that runs builds and deployments in Docker (two workers).
pub fn settings() -> simfra::Settings {
    let mut settings = simfra::Settings::for_tests();
    settings.docker = true;
    settings.workers = 2;
    settings
}

/// An in-memory server on a free port that runs builds and deployments in Docker.
pub fn server() -> simfra::server::TestServer {
    super::start_with(settings())
}
