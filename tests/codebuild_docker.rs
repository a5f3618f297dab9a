//! CodeBuild with real Docker containers (skipped with a message when there is no daemon or
//! test image; a failure under `CI=true`): a buildspec that uses every phase, `finally`,
//! variables, exported variables and artifacts; a failure in each command phase; StopBuild and
//! a timeout; `aws s3 cp` inside a build reaching simfra; and no container left behind.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, EnvironmentVariable, ProjectArtifacts,
    ProjectEnvironment, ProjectSource, SourceType, StatusType,
};
use aws_sdk_codebuild::Client;
use common::docker::{docker_available, TEST_IMAGE};
use simfra::server::TestServer;

const ROLE: &str = "arn:aws:iam::000000000000:role/build";

fn server(minute_millis: u64) -> TestServer {
    let mut settings = common::docker::settings();
    settings.build_minute_millis = minute_millis;
    common::start_with(settings)
}

async fn project(cb: &Client, name: &str, buildspec: &str, artifacts: ProjectArtifacts) {
    cb.create_project()
        .name(name)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::NoSource)
                .buildspec(buildspec)
                .build()
                .unwrap(),
        )
        .artifacts(artifacts)
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image(TEST_IMAGE)
                .compute_type(ComputeType::BuildGeneral1Small)
                .environment_variables(
                    EnvironmentVariable::builder()
                        .name("FROM_PROJECT")
                        .value("project")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .service_role(ROLE)
        .send()
        .await
        .expect("project created");
}

fn no_artifacts() -> ProjectArtifacts {
    ProjectArtifacts::builder()
        .r#type(ArtifactsType::NoArtifacts)
        .build()
        .unwrap()
}

async fn start(cb: &Client, name: &str) -> String {
    cb.start_build()
        .project_name(name)
        .send()
        .await
        .unwrap()
        .build_value()
        .unwrap()
        .id()
        .unwrap()
        .to_string()
}

async fn get(cb: &Client, id: &str) -> aws_sdk_codebuild::types::Build {
    cb.batch_get_builds().ids(id).send().await.unwrap().builds()[0].clone()
}

async fn wait_complete(cb: &Client, id: &str, secs: u64) -> aws_sdk_codebuild::types::Build {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let b = get(cb, id).await;
        if b.build_complete() {
            return b;
        }
        assert!(
            Instant::now() < deadline,
            "build {id} did not complete: {b:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each phase with its context, for failure messages.
fn contexts(b: &aws_sdk_codebuild::types::Build) -> Vec<String> {
    b.phases()
        .iter()
        .map(|p| {
            format!(
                "{}:{} {:?}",
                p.phase_type().unwrap().as_str(),
                p.phase_status().map(|s| s.as_str()).unwrap_or("-"),
                p.contexts()
                    .iter()
                    .map(|c| format!(
                        "{} {}",
                        c.status_code().unwrap_or(""),
                        c.message().unwrap_or("")
                    ))
                    .collect::<Vec<_>>()
            )
        })
        .collect()
}

fn phases(b: &aws_sdk_codebuild::types::Build) -> Vec<String> {
    b.phases()
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p.phase_type().unwrap().as_str(),
                p.phase_status().map(|s| s.as_str()).unwrap_or("-")
            )
        })
        .collect()
}

async fn log_lines(server: &TestServer, b: &aws_sdk_codebuild::types::Build) -> Vec<String> {
    let logs = common::logs(server);
    let l = b.logs().unwrap();
    let out = logs
        .get_log_events()
        .log_group_name(l.group_name().unwrap())
        .log_stream_name(l.stream_name().unwrap())
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    out.events()
        .iter()
        .map(|e| e.message().unwrap_or_default().to_string())
        .collect()
}

/// No container carrying the build's label is left.
fn assert_no_container(build_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label=simfra.build-id={build_id}"),
            ])
            .output()
            .expect("docker ps runs");
        if String::from_utf8_lossy(&out.stdout).trim().is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "a container of {build_id} is left"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

const FULL: &str = r#"version: 0.2
env:
  variables:
    FROM_SPEC: spec
    FROM_PROJECT: overridden-by-project
  exported-variables:
    - IMAGE_TAG
    - MULTI
phases:
  install:
    commands:
      - echo "install as $(id -u)"
      - mkdir -p out/sub
  pre_build:
    commands:
      - cd out && echo "pre in $(pwd)"
      - export IMAGE_TAG="v1-$CODEBUILD_BUILD_NUMBER"
  build:
    commands:
      - echo "spec=$FROM_SPEC project=$FROM_PROJECT tag=$IMAGE_TAG"
      - echo built > sub/app.txt
      - echo readme > README.md
      - sleep 2
    finally:
      - echo "finally ran"
  post_build:
    commands:
      - export MULTI="a b"
      - echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING"
artifacts:
  base-directory: out
  files:
    - '**/*'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_buildspec_runs_every_phase_in_a_container() {
    if !docker_available() {
        return;
    }
    let server = server(60_000);
    let cb = common::codebuild(&server);
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("build-out").send().await.unwrap();
    let artifacts = ProjectArtifacts::builder()
        .r#type(ArtifactsType::S3)
        .location("build-out")
        .name("app.zip")
        .packaging(aws_sdk_codebuild::types::ArtifactPackaging::Zip)
        .build()
        .unwrap();
    project(&cb, "full", FULL, artifacts).await;
    let id = start(&cb, "full").await;

    // The log is readable while the build runs (the build sleeps in BUILD).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let b = get(&cb, &id).await;
        assert!(
            !b.build_complete(),
            "the build ended before its log was seen"
        );
        let lines = log_lines(&server, &b).await;
        if lines
            .iter()
            .any(|l| l.contains("spec=spec project=project"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "no live log: {lines:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let b = wait_complete(&cb, &id, 60).await;
    assert_eq!(
        b.build_status(),
        Some(&StatusType::Succeeded),
        "{:#?}",
        contexts(&b)
    );
    assert_eq!(
        phases(&b),
        [
            "SUBMITTED:SUCCEEDED",
            "QUEUED:SUCCEEDED",
            "PROVISIONING:SUCCEEDED",
            "DOWNLOAD_SOURCE:SUCCEEDED",
            "INSTALL:SUCCEEDED",
            "PRE_BUILD:SUCCEEDED",
            "BUILD:SUCCEEDED",
            "POST_BUILD:SUCCEEDED",
            "UPLOAD_ARTIFACTS:SUCCEEDED",
            "FINALIZING:SUCCEEDED",
            "COMPLETED:-"
        ]
    );
    let exported: Vec<(String, String)> = b
        .exported_environment_variables()
        .iter()
        .map(|e| {
            (
                e.name().unwrap_or_default().to_string(),
                e.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        exported,
        [
            ("IMAGE_TAG".to_string(), "v1-1".to_string()),
            ("MULTI".to_string(), "a b".to_string())
        ]
    );
    let lines = log_lines(&server, &b).await;
    let all = lines.join("\n");
    for expected in [
        "Entering phase INSTALL",
        "Running command echo \"install as $(id -u)\"",
        "pre in /codebuild/output/src",
        "finally ran",
        "succeeding=1",
        "Phase complete: BUILD State: SUCCEEDED",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    assert_eq!(
        b.artifacts().unwrap().location(),
        Some("arn:aws:s3:::build-out/app.zip")
    );
    let zip = s3
        .get_object()
        .bucket("build-out")
        .key("app.zip")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    let mut names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["README.md", "sub/app.txt"]);
    assert_no_container(&id);
}

fn failing_in(phase: &str) -> String {
    let mut spec = String::from("version: 0.2\nphases:\n");
    for p in ["install", "pre_build", "build", "post_build"] {
        let cmd = if p == phase { "exit 3" } else { "echo ok" };
        spec.push_str(&format!(
            "  {p}:\n    commands:\n      - echo in-{p}\n      - {cmd}\n"
        ));
    }
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_routes_phases_as_aws_does() {
    if !docker_available() {
        return;
    }
    let server = server(60_000);
    let cb = common::codebuild(&server);
    let cases = [
        ("install", vec!["INSTALL:FAILED", "FINALIZING:SUCCEEDED"]),
        (
            "pre_build",
            vec!["PRE_BUILD:FAILED", "FINALIZING:SUCCEEDED"],
        ),
        (
            "build",
            vec![
                "BUILD:FAILED",
                "POST_BUILD:SUCCEEDED",
                "UPLOAD_ARTIFACTS:SUCCEEDED",
                "FINALIZING:SUCCEEDED",
            ],
        ),
        (
            "post_build",
            vec![
                "POST_BUILD:FAILED",
                "UPLOAD_ARTIFACTS:SUCCEEDED",
                "FINALIZING:SUCCEEDED",
            ],
        ),
    ];
    let mut ids = Vec::new();
    for (phase, _) in &cases {
        let name = format!("fail-{}", phase.replace('_', "-"));
        project(&cb, &name, &failing_in(phase), no_artifacts()).await;
        ids.push(start(&cb, &name).await);
    }
    for ((phase, tail), id) in cases.iter().zip(&ids) {
        let b = wait_complete(&cb, id, 90).await;
        assert_eq!(b.build_status(), Some(&StatusType::Failed), "{phase}");
        let got = phases(&b);
        let failed_at = got.iter().position(|p| p.ends_with(":FAILED")).unwrap();
        assert_eq!(
            &got[failed_at..got.len() - 1],
            tail.as_slice(),
            "{phase}: {got:?}"
        );
        let ctx = &b.phases()[failed_at].contexts()[0];
        assert_eq!(ctx.status_code(), Some("COMMAND_EXECUTION_ERROR"));
        assert_eq!(
            ctx.message(),
            Some("Error while executing command: exit 3. Reason: exit status 3")
        );
        if *phase == "build" {
            let all = log_lines(&server, &b).await.join("\n");
            assert!(all.contains("in-post_build"), "{all}");
        }
        assert_no_container(id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_timeout_end_the_build_and_remove_its_container() {
    if !docker_available() {
        return;
    }
    // One "minute" of timeoutInMinutes lasts 0.8 s here: the minimum timeout (5) is 4 s.
    let server = server(800);
    let cb = common::codebuild(&server);
    let forever =
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo started\n      - sleep 600\n";
    project(&cb, "forever", forever, no_artifacts()).await;
    cb.update_project()
        .name("forever")
        .timeout_in_minutes(5)
        .send()
        .await
        .unwrap();

    let stopped = start(&cb, "forever").await;
    let timed_out = start(&cb, "forever").await;
    // Wait until the first build is in BUILD, then stop it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(&cb, &stopped).await.current_phase() != Some("BUILD") {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = Instant::now();
    let out = cb.stop_build().id(&stopped).send().await.unwrap();
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(5), "StopBuild took {took:?}");
    let b = out.build_value().unwrap();
    assert_eq!(b.build_status(), Some(&StatusType::Stopped));
    let got = phases(b);
    assert!(got.contains(&"BUILD:STOPPED".to_string()), "{got:?}");
    assert_eq!(got[got.len() - 2], "FINALIZING:SUCCEEDED");
    assert_no_container(&stopped);

    let b = wait_complete(&cb, &timed_out, 30).await;
    assert_eq!(b.build_status(), Some(&StatusType::TimedOut));
    let got = phases(&b);
    assert!(got.contains(&"BUILD:TIMED_OUT".to_string()), "{got:?}");
    assert_no_container(&timed_out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_inside_a_build_reaches_simfra() {
    if !docker_available() {
        return;
    }
    let server = server(60_000);
    let cb = common::codebuild(&server);
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("inside").send().await.unwrap();
    // The image's AWS CLI predates AWS_ENDPOINT_URL, so the endpoint is passed explicitly;
    // newer CLIs and SDKs pick AWS_ENDPOINT_URL up by themselves.
    let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"from the build\" > note.txt\n      - aws --endpoint-url \"$AWS_ENDPOINT_URL\" s3 cp note.txt s3://inside/note.txt\n";
    project(&cb, "cli-inside", spec, no_artifacts()).await;
    let id = start(&cb, "cli-inside").await;
    let b = wait_complete(&cb, &id, 120).await;
    let lines = log_lines(&server, &b).await.join("\n");
    assert_eq!(b.build_status(), Some(&StatusType::Succeeded), "{lines}");
    let body = s3
        .get_object()
        .bucket("inside")
        .key("note.txt")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&body[..], b"from the build\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_ends_in_the_phase_aws_reports() {
    if !docker_available() {
        return;
    }
    let server = server(60_000);
    let cb = common::codebuild(&server);
    project(
        &cb,
        "bad-yaml",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - a: b: c\n",
        no_artifacts(),
    )
    .await;
    let id = start(&cb, "bad-yaml").await;
    let b = wait_complete(&cb, &id, 60).await;
    assert_eq!(
        b.build_status(),
        Some(&StatusType::Failed),
        "{:#?}",
        contexts(&b)
    );
    let p = b
        .phases()
        .iter()
        .find(|p| p.phase_type().unwrap().as_str() == "DOWNLOAD_SOURCE")
        .unwrap();
    assert_eq!(p.phase_status(), Some(&StatusType::Failed));
    assert_eq!(
        p.contexts()[0].status_code(),
        Some("YAML_FILE_ERROR"),
        "{:#?}",
        contexts(&b)
    );
    assert_no_container(&id);

    // An image that does not exist fails in PROVISIONING.
    cb.create_project()
        .name("no-image")
        .source(
            ProjectSource::builder()
                .r#type(SourceType::NoSource)
                .buildspec("version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n")
                .build()
                .unwrap(),
        )
        .artifacts(no_artifacts())
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("simfra-test/does-not-exist:1")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .unwrap(),
        )
        .service_role(ROLE)
        .send()
        .await
        .unwrap();
    let id = start(&cb, "no-image").await;
    let b = wait_complete(&cb, &id, 60).await;
    let p = &b.phases()[2];
    assert_eq!(p.phase_type().unwrap().as_str(), "PROVISIONING");
    assert_eq!(p.phase_status(), Some(&StatusType::Failed));
    assert_eq!(
        p.contexts()[0].status_code(),
        Some("BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE")
    );

    // An artifact glob that matches nothing fails UPLOAD_ARTIFACTS.
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("nothing").send().await.unwrap();
    let artifacts = ProjectArtifacts::builder()
        .r#type(ArtifactsType::S3)
        .location("nothing")
        .build()
        .unwrap();
    project(
        &cb,
        "no-match",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\nartifacts:\n  files:\n    - 'dist/**/*'\n",
        artifacts,
    )
    .await;
    let id = start(&cb, "no-match").await;
    let b = wait_complete(&cb, &id, 60).await;
    assert_eq!(b.build_status(), Some(&StatusType::Failed));
    let p = b
        .phases()
        .iter()
        .find(|p| p.phase_type().unwrap().as_str() == "UPLOAD_ARTIFACTS")
        .unwrap();
    assert_eq!(p.phase_status(), Some(&StatusType::Failed));
    assert!(p.contexts()[0]
        .message()
        .unwrap()
        .contains("no matching artifact paths found"));
    assert_no_container(&id);
}
