//! Builds and the server's life (real binary, real Docker; skipped with a message when there
//! is no daemon or test image, a failure under `CI=true`): a graceful shutdown stops running
//! builds and removes their containers; after `kill -9` the restarted server ends the
//! interrupted build as FAULT and removes its orphaned container. The first test also runs an
//! `aws/codebuild/*` image mapped to the local test image with `SIMFRA_CODEBUILD_IMAGE`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment,
    ProjectSource, SourceType, StatusType,
};
use aws_sdk_codebuild::Client;
use common::docker::{docker_available, TEST_IMAGE};
use common::process::Simfra;

const SLEEPER: &str =
    "version: 0.2\nphases:\n  build:\n    commands:\n      - echo sleeping\n      - sleep 600\n";

fn client(s: &Simfra) -> Client {
    Client::new(&common::sdk_config(&s.url()))
}

async fn create_sleeper(cb: &Client) {
    cb.create_project()
        .name("sleeper")
        .source(
            ProjectSource::builder()
                .r#type(SourceType::NoSource)
                .buildspec(SLEEPER)
                .build()
                .unwrap(),
        )
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::NoArtifacts)
                .build()
                .unwrap(),
        )
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/amazonlinux2-x86_64-standard:5.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .unwrap(),
        )
        .service_role("arn:aws:iam::000000000000:role/build")
        .send()
        .await
        .unwrap();
}

/// Starts a build and waits until it runs its BUILD commands.
async fn start_running(cb: &Client) -> String {
    let id = cb
        .start_build()
        .project_name("sleeper")
        .send()
        .await
        .unwrap()
        .build_value()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let b = cb
            .batch_get_builds()
            .ids(&id)
            .send()
            .await
            .unwrap()
            .builds()[0]
            .clone();
        assert!(!b.build_complete(), "the build ended early: {b:?}");
        if b.current_phase() == Some("BUILD") {
            return id;
        }
        assert!(Instant::now() < deadline, "the build never reached BUILD");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn containers_of(build_id: &str) -> String {
    let out = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=simfra.build-id={build_id}"),
        ])
        .output()
        .expect("docker ps runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn wait_no_container(build_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !containers_of(build_id).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the container of {build_id} is left"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

const ENV: &[(&str, &str)] = &[
    ("SIMFRA_DOCKER", "true"),
    ("SIMFRA_CODEBUILD_IMAGE", TEST_IMAGE),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_stops_running_builds_and_removes_their_containers() {
    if !docker_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = Simfra::start_with(dir.path(), ENV);
    let cb = client(&server);
    create_sleeper(&cb).await;
    let id = start_running(&cb).await;
    assert!(!containers_of(&id).is_empty());
    let term = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "simfra did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        containers_of(&id).is_empty(),
        "the build container outlived the server"
    );
    drop(server);

    let server = Simfra::start_with(dir.path(), ENV);
    let cb = client(&server);
    let b = cb
        .batch_get_builds()
        .ids(&id)
        .send()
        .await
        .unwrap()
        .builds()[0]
        .clone();
    assert!(b.build_complete());
    assert_eq!(b.build_status(), Some(&StatusType::Stopped));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_the_build_is_a_fault_and_its_container_is_reaped() {
    if !docker_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Simfra::start_with(dir.path(), ENV);
    let cb = client(&server);
    create_sleeper(&cb).await;
    let id = start_running(&cb).await;
    server.kill_9();
    assert!(
        !containers_of(&id).is_empty(),
        "the container should be orphaned by kill -9"
    );

    let server = Simfra::start_with(dir.path(), ENV);
    wait_no_container(&id);
    let cb = client(&server);
    let b = cb
        .batch_get_builds()
        .ids(&id)
        .send()
        .await
        .unwrap()
        .builds()[0]
        .clone();
    assert!(b.build_complete());
    assert_eq!(b.build_status(), Some(&StatusType::Fault));
    let build = b
        .phases()
        .iter()
        .find(|p| p.phase_type().unwrap().as_str() == "BUILD")
        .unwrap();
    assert_eq!(build.phase_status(), Some(&StatusType::Fault));
    assert!(build.contexts()[0]
        .message()
        .unwrap()
        .contains("cannot be resumed"));
}
