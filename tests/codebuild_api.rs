//! CodeBuild's API through the official SDK and the CLI, without Docker: projects (create,
//! read, update, list, delete, errors), and builds that fail honestly in PROVISIONING when
//! `SIMFRA_DOCKER` is off (every phase recorded, the reason in the phase context and the log),
//! listing, retry and delete of builds, and a pipeline whose CodeBuild action fails with the
//! build's reason.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, EnvironmentVariable, ProjectArtifacts,
    ProjectEnvironment, ProjectSource, SourceType, StatusType,
};
use aws_sdk_codebuild::Client;

const ROLE: &str = "arn:aws:iam::000000000000:role/build";

fn source(ty: SourceType, location: Option<&str>, buildspec: Option<&str>) -> ProjectSource {
    ProjectSource::builder()
        .r#type(ty)
        .set_location(location.map(str::to_string))
        .set_buildspec(buildspec.map(str::to_string))
        .build()
        .unwrap()
}

fn artifacts(ty: ArtifactsType) -> ProjectArtifacts {
    ProjectArtifacts::builder().r#type(ty).build().unwrap()
}

fn environment() -> ProjectEnvironment {
    ProjectEnvironment::builder()
        .r#type(EnvironmentType::LinuxContainer)
        .image("aws/codebuild/standard:7.0")
        .compute_type(ComputeType::BuildGeneral1Small)
        .environment_variables(
            EnvironmentVariable::builder()
                .name("STAGE")
                .value("test")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

async fn create(cb: &Client, name: &str) {
    cb.create_project()
        .name(name)
        .source(source(
            SourceType::NoSource,
            None,
            Some("version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n"),
        ))
        .artifacts(artifacts(ArtifactsType::NoArtifacts))
        .environment(environment())
        .service_role(ROLE)
        .send()
        .await
        .expect("project created");
}

fn code<E: aws_sdk_codebuild::error::ProvideErrorMetadata, R>(
    e: &aws_sdk_codebuild::error::SdkError<E, R>,
) -> String {
    e.as_service_error()
        .and_then(|s| s.code())
        .unwrap_or("none")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_round_trip_with_aws_defaults_and_errors() {
    let server = common::start();
    let cb = common::codebuild(&server);
    create(&cb, "shop-build").await;
    create(&cb, "another").await;

    let got = cb
        .batch_get_projects()
        .names("shop-build")
        .names("arn:aws:codebuild:us-east-1:000000000000:project/another")
        .names("missing")
        .send()
        .await
        .unwrap();
    assert_eq!(got.projects().len(), 2);
    assert_eq!(got.projects_not_found(), ["missing"]);
    let p = &got.projects()[0];
    assert_eq!(p.name(), Some("shop-build"));
    assert_eq!(
        p.arn(),
        Some("arn:aws:codebuild:us-east-1:000000000000:project/shop-build")
    );
    assert_eq!(p.timeout_in_minutes(), Some(60));
    assert_eq!(p.queued_timeout_in_minutes(), Some(480));
    assert!(p.created().is_some());

    let dup = cb
        .create_project()
        .name("shop-build")
        .source(source(SourceType::NoSource, None, Some("version: 0.2")))
        .artifacts(artifacts(ArtifactsType::NoArtifacts))
        .environment(environment())
        .service_role(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&dup), "ResourceAlreadyExistsException");

    let bad_name = cb
        .create_project()
        .name("bad name!")
        .source(source(SourceType::NoSource, None, Some("version: 0.2")))
        .artifacts(artifacts(ArtifactsType::NoArtifacts))
        .environment(environment())
        .service_role(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&bad_name), "InvalidInputException");

    let unpaired = cb
        .create_project()
        .name("unpaired")
        .source(source(SourceType::Codepipeline, None, None))
        .artifacts(artifacts(ArtifactsType::NoArtifacts))
        .environment(environment())
        .service_role(ROLE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unpaired), "InvalidInputException");

    let updated = cb
        .update_project()
        .name("shop-build")
        .description("builds the shop")
        .timeout_in_minutes(30)
        .send()
        .await
        .unwrap();
    let p = updated.project().unwrap();
    assert_eq!(p.description(), Some("builds the shop"));
    assert_eq!(p.timeout_in_minutes(), Some(30));
    assert_eq!(
        p.environment().unwrap().image(),
        "aws/codebuild/standard:7.0"
    );

    let missing = cb
        .update_project()
        .name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");

    let names = cb.list_projects().send().await.unwrap();
    assert_eq!(names.projects(), ["another", "shop-build"]);

    cb.delete_project().name("another").send().await.unwrap();
    let names = cb.list_projects().send().await.unwrap();
    assert_eq!(names.projects(), ["shop-build"]);
}

async fn wait_complete(cb: &Client, id: &str) -> aws_sdk_codebuild::types::Build {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = cb.batch_get_builds().ids(id).send().await.unwrap();
        let b = out.builds()[0].clone();
        if b.build_complete() {
            return b;
        }
        assert!(Instant::now() < deadline, "build {id} did not complete");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_docker_builds_fail_in_provisioning_and_say_why() {
    let server = common::start();
    let cb = common::codebuild(&server);
    create(&cb, "shop-build").await;

    let started = cb
        .start_build()
        .project_name("shop-build")
        .environment_variables_override(
            EnvironmentVariable::builder()
                .name("EXTRA")
                .value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let b = started.build_value().unwrap();
    let id = b.id().unwrap().to_string();
    assert!(id.starts_with("shop-build:"), "{id}");
    assert_eq!(b.build_number(), Some(1));
    assert_eq!(b.initiator(), Some("root"));

    let b = wait_complete(&cb, &id).await;
    assert_eq!(b.build_status(), Some(&StatusType::Failed));
    assert_eq!(b.current_phase(), Some("COMPLETED"));
    let phases: Vec<(String, Option<String>)> = b
        .phases()
        .iter()
        .map(|p| {
            (
                p.phase_type().unwrap().as_str().to_string(),
                p.phase_status().map(|s| s.as_str().to_string()),
            )
        })
        .collect();
    let expect = [
        ("SUBMITTED", Some("SUCCEEDED")),
        ("QUEUED", Some("SUCCEEDED")),
        ("PROVISIONING", Some("FAILED")),
        ("FINALIZING", Some("SUCCEEDED")),
        ("COMPLETED", None),
    ];
    assert_eq!(
        phases,
        expect
            .iter()
            .map(|(a, b)| (a.to_string(), b.map(str::to_string)))
            .collect::<Vec<_>>()
    );
    let ctx = &b.phases()[2].contexts()[0];
    assert_eq!(ctx.status_code(), Some("CLIENT_ERROR"));
    assert!(ctx.message().unwrap().contains("SIMFRA_DOCKER=true"));
    let env = b.environment().unwrap();
    let names: Vec<&str> = env
        .environment_variables()
        .iter()
        .map(|v| v.name())
        .collect();
    assert_eq!(names, ["STAGE", "EXTRA"]);
    let logs = b.logs().unwrap();
    assert_eq!(logs.group_name(), Some("/aws/codebuild/shop-build"));
    assert_eq!(logs.stream_name(), id.split(':').nth(1));

    // The agent's lines are in the build's log stream.
    let log = common::cli_json(
        &server.url(),
        &[
            "logs",
            "get-log-events",
            "--log-group-name",
            "/aws/codebuild/shop-build",
            "--log-stream-name",
            logs.stream_name().unwrap(),
            "--start-from-head",
        ],
    );
    let text: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        text.iter()
            .any(|l| l.contains("Phase complete: PROVISIONING State: FAILED")),
        "{text:?}"
    );

    // Retry: a new build with the next number; listing is newest first.
    let retried = cb.retry_build().id(&id).send().await.unwrap();
    let id2 = retried.build_value().unwrap().id().unwrap().to_string();
    assert_eq!(retried.build_value().unwrap().build_number(), Some(2));
    wait_complete(&cb, &id2).await;
    let listed = cb
        .list_builds_for_project()
        .project_name("shop-build")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.ids(), [id2.clone(), id.clone()]);
    let all = cb.list_builds().send().await.unwrap();
    assert_eq!(all.ids().len(), 2);

    // Stopping a finished build returns it unchanged.
    let stopped = cb.stop_build().id(&id).send().await.unwrap();
    assert_eq!(
        stopped.build_value().unwrap().build_status(),
        Some(&StatusType::Failed)
    );

    let deleted = cb
        .batch_delete_builds()
        .ids(&id)
        .ids("shop-build:nope")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.builds_deleted(), std::slice::from_ref(&id));
    assert_eq!(deleted.builds_not_deleted().len(), 1);
    let got = cb.batch_get_builds().ids(&id).send().await.unwrap();
    assert_eq!(got.builds_not_found(), [id]);

    let missing = cb
        .start_build()
        .project_name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");
    let reserved = cb
        .start_build()
        .project_name("shop-build")
        .environment_variables_override(
            EnvironmentVariable::builder()
                .name("CODEBUILD_X")
                .value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&reserved), "InvalidInputException");
}

#[test]
fn the_cli_drives_projects_and_builds() {
    let server = common::start();
    let url = server.url();
    let created = common::cli_json(
        &url,
        &[
            "codebuild",
            "create-project",
            "--name",
            "cli-build",
            "--source",
            r#"{"type":"NO_SOURCE","buildspec":"version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n"}"#,
            "--artifacts",
            r#"{"type":"NO_ARTIFACTS"}"#,
            "--environment",
            r#"{"type":"LINUX_CONTAINER","image":"aws/codebuild/standard:7.0","computeType":"BUILD_GENERAL1_SMALL"}"#,
            "--service-role",
            ROLE,
        ],
    );
    assert_eq!(created["project"]["name"], "cli-build");
    let started = common::cli_json(
        &url,
        &["codebuild", "start-build", "--project-name", "cli-build"],
    );
    let id = started["build"]["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = common::cli_json(&url, &["codebuild", "batch-get-builds", "--ids", &id]);
        if got["builds"][0]["buildComplete"] == true {
            assert_eq!(got["builds"][0]["buildStatus"], "FAILED");
            break;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(100));
    }
    let unknown = common::cli(&url, &["codebuild", "list-report-groups"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not implemented in simfra yet"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eventbridge_rule_starts_a_build_with_its_input() {
    let server = common::start();
    let cb = common::codebuild(&server);
    let ev = common::events(&server);
    create(&cb, "on-event").await;
    ev.put_rule()
        .name("build-on-release")
        .event_pattern(r#"{"source":["simfra.test"],"detail-type":["Release"]}"#)
        .send()
        .await
        .unwrap();
    ev.put_targets()
        .rule("build-on-release")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("build")
                .arn("arn:aws:codebuild:us-east-1:000000000000:project/on-event")
                .input_transformer(
                    aws_sdk_eventbridge::types::InputTransformer::builder()
                        .input_paths_map("version", "$.detail.version")
                        .input_template(r#"{"sourceVersion": <version>}"#)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    ev.put_events()
        .entries(
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .source("simfra.test")
                .detail_type("Release")
                .detail(r#"{"version":"v9"}"#)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        let ids = cb
            .list_builds_for_project()
            .project_name("on-event")
            .send()
            .await
            .unwrap()
            .ids()
            .to_vec();
        if let Some(id) = ids.first() {
            break id.clone();
        }
        assert!(Instant::now() < deadline, "no build started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let b = cb
        .batch_get_builds()
        .ids(&id)
        .send()
        .await
        .unwrap()
        .builds()[0]
        .clone();
    assert_eq!(b.source_version(), Some("v9"));
}

#[test]
fn stop_build_without_an_id_is_an_input_error() {
    let server = common::start();
    let r = common::raw_json(&server, "CodeBuild_20161006.StopBuild", b"{}");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "InvalidInputException");
    assert!(r.json()["message"].as_str().unwrap().contains("'id'"));
}
