//! The Commands action (AWS / Compute / Commands) running for real in Docker (skipped with a
//! message when there is no daemon or test image; a failure under `CI=true`): an S3 source
//! feeds a Commands action that reads it, writes files and exports a variable; an S3 deploy
//! consumes its output artifact (only the files `files` names) and, through the action's
//! namespace, its output variable. Also: abandoning the execution stops the commands' build,
//! and without Docker the action fails and says why.

mod codepipeline_support;
mod common;

use std::time::{Duration, Instant};

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionExecutionDetail, ActionExecutionStatus, ActionOwner,
    EnvironmentVariable, InputArtifact, OutputArtifact, PipelineDeclaration,
    PipelineExecutionStatus, PipelineType,
};
use aws_sdk_s3::primitives::ByteStream;
use codepipeline_support::{action, stage, store, type_id, ROLE};
use common::docker::{docker_available, TEST_IMAGE};
use simfra::Settings;

/// An S3 source of `sources/app.zip`, output `AppOut`.
fn source() -> ActionDeclaration {
    action(
        "App",
        type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
        &[
            ("S3Bucket", "sources"),
            ("S3ObjectKey", "app.zip"),
            ("PollForSourceChanges", "false"),
        ],
        &[],
        &["AppOut"],
    )
}

/// A Commands action on `AppOut`.
fn commands(
    name: &str,
    commands: &[&str],
) -> aws_sdk_codepipeline::types::builders::ActionDeclarationBuilder {
    let mut b = ActionDeclaration::builder()
        .name(name)
        .action_type_id(type_id(
            ActionCategory::Compute,
            ActionOwner::Aws,
            "Commands",
        ))
        .input_artifacts(InputArtifact::builder().name("AppOut").build().unwrap());
    for c in commands {
        b = b.commands(*c);
    }
    b
}

fn pipeline(
    name: &str,
    run: ActionDeclaration,
    after: Option<ActionDeclaration>,
) -> PipelineDeclaration {
    let mut p = PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![source()]))
        .stages(stage("Build", vec![run]));
    if let Some(a) = after {
        p = p.stages(stage("Deploy", vec![a]));
    }
    p.build().unwrap()
}

/// Docker settings whose `aws/codebuild/*` image is the local test image.
fn docker_settings() -> Settings {
    let mut settings = Settings::for_tests();
    settings.docker = true;
    settings.workers = 2;
    settings.codebuild_image = Some(TEST_IMAGE.to_string());
    settings
}

async fn put_source(s3: &aws_sdk_s3::Client, files: &[(&str, &str)]) {
    common::versioned_bucket(s3, "sources").await;
    s3.put_object()
        .bucket("sources")
        .key("app.zip")
        .body(ByteStream::from(common::zip_files(files)))
        .send()
        .await
        .unwrap();
}

/// The only execution of `pipeline` once it has ended: its id and status.
async fn ended(
    cp: &aws_sdk_codepipeline::Client,
    pipeline: &str,
    within: Duration,
) -> (String, PipelineExecutionStatus) {
    let deadline = Instant::now() + within;
    loop {
        let list = cp
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .send()
            .await
            .unwrap();
        if let Some(e) = list.pipeline_execution_summaries().first() {
            let status = e.status().unwrap().clone();
            if !matches!(
                status,
                PipelineExecutionStatus::InProgress | PipelineExecutionStatus::Stopping
            ) {
                return (e.pipeline_execution_id().unwrap().to_string(), status);
            }
        }
        assert!(Instant::now() < deadline, "the execution did not end");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn action_execution(
    cp: &aws_sdk_codepipeline::Client,
    pipeline: &str,
    action: &str,
) -> Option<ActionExecutionDetail> {
    cp.list_action_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .unwrap()
        .action_execution_details()
        .iter()
        .find(|a| a.action_name() == Some(action))
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_build_an_artifact_and_a_variable_the_next_action_uses() {
    if !docker_available() {
        return;
    }
    let server = common::start_with(docker_settings());
    let s3 = common::s3(&server);
    let cp = common::codepipeline(&server);
    let cb = common::codebuild(&server);
    let logs = common::logs(&server);
    put_source(&s3, &[("version.txt", "1.2.3\n"), ("README", "source\n")]).await;
    s3.create_bucket().bucket("site").send().await.unwrap();

    let run = commands(
        "Run",
        &[
            "echo \"execution #{codepipeline.PipelineExecutionId} in $(pwd)\"",
            "export VERSION=\"$(cat version.txt)\"",
            "mkdir -p dist",
            "echo \"$GREETING $VERSION\" > dist/hello.txt",
            "echo scratch > scratch.txt",
        ],
    )
    .namespace("RunVars")
    .configuration("ComputeType", "BUILD_GENERAL1_SMALL")
    .environment_variables(
        EnvironmentVariable::builder()
            .name("GREETING")
            .value("hello")
            .build()
            .unwrap(),
    )
    .output_variables("VERSION")
    .output_artifacts(
        OutputArtifact::builder()
            .name("RunOut")
            .files("dist/**/*")
            .build()
            .unwrap(),
    )
    .build()
    .unwrap();
    let deploy = action(
        "Publish",
        type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
        &[
            ("BucketName", "site"),
            ("Extract", "true"),
            ("ObjectKey", "release-#{RunVars.VERSION}"),
        ],
        &["RunOut"],
        &[],
    );
    // CreatePipeline starts the first execution.
    let created = cp
        .create_pipeline()
        .pipeline(pipeline("commands-demo", run, Some(deploy)))
        .send()
        .await
        .unwrap();
    let declared = created.pipeline().unwrap();
    assert_eq!(declared.pipeline_type(), Some(&PipelineType::V2));
    let echoed = &declared.stages()[1].actions()[0];
    assert_eq!(echoed.commands().len(), 5);
    assert_eq!(echoed.output_variables(), ["VERSION"]);
    assert_eq!(echoed.output_artifacts()[0].files(), ["dist/**/*"]);

    let (execution, status) = ended(&cp, "commands-demo", Duration::from_secs(120)).await;
    let run = action_execution(&cp, "commands-demo", "Run").await.unwrap();
    assert_eq!(
        status,
        PipelineExecutionStatus::Succeeded,
        "{:#?}",
        cp.list_action_executions()
            .pipeline_name("commands-demo")
            .send()
            .await
            .unwrap()
            .action_execution_details()
    );

    // The action's result: the build id, the log's link, the output variable.
    let output = run.output().unwrap();
    let result = output.execution_result().unwrap();
    let build_id = result.external_execution_id().unwrap();
    assert!(
        build_id.starts_with("codepipeline-commands-demo:"),
        "{build_id}"
    );
    let stream = format!("Build/Run/{}", run.action_execution_id().unwrap());
    assert!(
        result.external_execution_url().unwrap().contains(&format!(
            "group=/aws/codepipeline/commands-demo;stream={stream}"
        )),
        "{result:?}"
    );
    assert_eq!(
        output
            .output_variables()
            .unwrap()
            .get("VERSION")
            .map(String::as_str),
        Some("1.2.3")
    );

    // The deploy extracted only the files `files` named, under the variable's key.
    let read = |key: &'static str| {
        let s3 = s3.clone();
        async move {
            let body = s3
                .get_object()
                .bucket("site")
                .key(key)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{key}: {e:?}"))
                .body
                .collect()
                .await
                .unwrap()
                .into_bytes();
            String::from_utf8(body.to_vec()).unwrap()
        }
    };
    assert_eq!(read("release-1.2.3/dist/hello.txt").await, "hello 1.2.3\n");
    let listed = s3.list_objects_v2().bucket("site").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["release-1.2.3/dist/hello.txt"]);

    // The output is in the pipeline's log group; the build is not one of the account's.
    let events = logs
        .get_log_events()
        .log_group_name("/aws/codepipeline/commands-demo")
        .log_stream_name(&stream)
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    let lines: Vec<&str> = events.events().iter().filter_map(|e| e.message()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("execution {execution} in /codebuild/output/src"))),
        "{lines:#?}"
    );
    assert!(cb.list_builds().send().await.unwrap().ids().is_empty());
    let got = cb.batch_get_builds().ids(build_id).send().await.unwrap();
    assert_eq!(got.builds_not_found(), [build_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoning_the_execution_stops_the_commands() {
    if !docker_available() {
        return;
    }
    let server = common::start_with(docker_settings());
    let s3 = common::s3(&server);
    let cp = common::codepipeline(&server);
    put_source(&s3, &[("a.txt", "a")]).await;
    let run = commands("Sleep", &["echo started", "sleep 600"])
        .build()
        .unwrap();
    cp.create_pipeline()
        .pipeline(pipeline("commands-abandoned", run, None))
        .send()
        .await
        .unwrap();

    // Wait until the commands run (the container exists and the first command has printed).
    let deadline = Instant::now() + Duration::from_secs(60);
    let build_id = loop {
        let running = action_execution(&cp, "commands-abandoned", "Sleep")
            .await
            .and_then(|a| {
                let id = a
                    .output()?
                    .execution_result()?
                    .external_execution_id()?
                    .to_string();
                Some((a.action_execution_id()?.to_string(), id))
            });
        if let Some((action_id, build_id)) = running {
            let started = common::logs(&server)
                .get_log_events()
                .log_group_name("/aws/codepipeline/commands-abandoned")
                .log_stream_name(format!("Build/Sleep/{action_id}"))
                .send()
                .await
                .is_ok_and(|e| e.events().iter().any(|e| e.message() == Some("started")));
            if started {
                break build_id;
            }
        }
        assert!(Instant::now() < deadline, "the commands never started");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let execution = cp
        .list_pipeline_executions()
        .pipeline_name("commands-abandoned")
        .send()
        .await
        .unwrap()
        .pipeline_execution_summaries()[0]
        .pipeline_execution_id()
        .unwrap()
        .to_string();
    cp.stop_pipeline_execution()
        .pipeline_name("commands-abandoned")
        .pipeline_execution_id(&execution)
        .abandon(true)
        .send()
        .await
        .unwrap();
    let (_, status) = ended(&cp, "commands-abandoned", Duration::from_secs(30)).await;
    assert_eq!(status, PipelineExecutionStatus::Stopped);
    let sleep = action_execution(&cp, "commands-abandoned", "Sleep")
        .await
        .unwrap();
    assert_eq!(sleep.status(), Some(&ActionExecutionStatus::Abandoned));

    // The build's container goes too.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = std::process::Command::new("docker")
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label=simfra.build-id={build_id}"),
            ])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).trim().is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the container of {build_id} is still there"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_docker_the_commands_action_fails_and_says_why() {
    let server = common::start();
    let s3 = common::s3(&server);
    let cp = common::codepipeline(&server);
    put_source(&s3, &[("a.txt", "a")]).await;
    let run = commands("Run", &["echo never"]).build().unwrap();
    cp.create_pipeline()
        .pipeline(pipeline("commands-no-docker", run, None))
        .send()
        .await
        .unwrap();
    let (_, status) = ended(&cp, "commands-no-docker", Duration::from_secs(30)).await;
    assert_eq!(status, PipelineExecutionStatus::Failed);
    let run = action_execution(&cp, "commands-no-docker", "Run")
        .await
        .unwrap();
    assert_eq!(run.status(), Some(&ActionExecutionStatus::Failed));
    let result = run.output().unwrap().execution_result().unwrap();
    assert!(result
        .external_execution_id()
        .is_some_and(|id| id.starts_with("codepipeline-commands-no-docker:")));
    let message = result.error_details().unwrap().message().unwrap();
    assert!(message.contains("PROVISIONING"), "{message}");
    assert!(message.contains("SIMFRA_DOCKER=true"), "{message}");
    assert!(
        message.contains("/aws/codepipeline/commands-no-docker"),
        "{message}"
    );
}
