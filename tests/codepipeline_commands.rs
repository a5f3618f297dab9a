//! The Commands action (AWS / Compute / Commands) running for real in Docker (skipped with a
//! message when there is no daemon or test image; a failure under `CI=true`): an S3 source
//! feeds a Commands action that reads it, writes files and exports a variable; an S3 deploy
//! consumes its output artifact (only the files `files` names) and, through the action's
//! namespace, its output variable. Also: abandoning the execution stops the commands' build,
//! and without Docker the action fails and says why. The action's `logStreamARN` names the log
//! stream of its commands.
//!
//! Commands rules of stage conditions run on the same runner: in Docker, a `beforeEntry` rule
//! whose commands exit 0 on the source artifact lets the stage run, and one without input
//! artifacts that exits 3 engages FAIL; without Docker the rule fails and says why.

mod codepipeline_support;
mod common;

use std::time::{Duration, Instant};

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionExecutionDetail, ActionExecutionStatus, ActionOwner,
    BeforeEntryConditions, Condition, EnvironmentVariable, InputArtifact, OutputArtifact,
    PipelineDeclaration, PipelineExecutionStatus, PipelineType, Result as On, RuleCategory,
    RuleDeclaration, RuleExecutionDetail, RuleExecutionStatus, RuleOwner, RuleTypeId,
};
use aws_sdk_s3::primitives::ByteStream;
use codepipeline_support::{action, latest_execution_id, stage, store, type_id, ROLE};
use common::docker::{docker_available, TEST_IMAGE};

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
fn docker_settings() -> simfra::Settings {
    let mut settings = common::docker::settings();
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
        result.log_stream_arn(),
        Some(
            format!(
                "arn:aws:logs:us-east-1:000000000000:log-group:/aws/codepipeline/commands-demo:log-stream:{stream}"
            )
            .as_str()
        )
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
    let execution = latest_execution_id(&cp, "commands-abandoned").await;
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
    // The log stream the commands' output goes to, by ARN (the CLI reads the same member).
    let arn = format!(
        "arn:aws:logs:us-east-1:000000000000:log-group:/aws/codepipeline/commands-no-docker:log-stream:Build/Run/{}",
        run.action_execution_id().unwrap()
    );
    assert_eq!(result.log_stream_arn(), Some(arn.as_str()));
    let state = cp
        .get_pipeline_state()
        .name("commands-no-docker")
        .send()
        .await
        .unwrap();
    let latest = state.stage_states()[1].action_states()[0]
        .latest_execution()
        .unwrap();
    assert_eq!(latest.log_stream_arn(), Some(arn.as_str()));
    let listed = common::cli_json(
        &server.url(),
        &[
            "codepipeline",
            "list-action-executions",
            "--pipeline-name",
            "commands-no-docker",
        ],
    );
    let found = listed["actionExecutionDetails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["actionName"] == "Run")
        .unwrap();
    assert_eq!(
        found["output"]["executionResult"]["logStreamARN"],
        arn.as_str()
    );
    let message = result.error_details().unwrap().message().unwrap();
    assert!(message.contains("PROVISIONING"), "{message}");
    assert!(message.contains("SIMFRA_DOCKER=true"), "{message}");
    assert!(
        message.contains("/aws/codepipeline/commands-no-docker"),
        "{message}"
    );
}

/// A Commands rule (AWS / Rule / Commands).
fn commands_rule(name: &str, commands: &[&str], inputs: &[&str]) -> RuleDeclaration {
    let mut b = RuleDeclaration::builder().name(name).rule_type_id(
        RuleTypeId::builder()
            .category(RuleCategory::Rule)
            .owner(RuleOwner::Aws)
            .provider("Commands")
            .version("1")
            .build()
            .unwrap(),
    );
    for c in commands {
        b = b.commands(*c);
    }
    for i in inputs {
        b = b.input_artifacts(InputArtifact::builder().name(*i).build().unwrap());
    }
    b.build().unwrap()
}

/// The S3 source, then a `Deploy` stage (an S3 deploy of the source to `site`) entered only
/// when `rule` passes (FAIL otherwise).
fn gated(name: &str, rule: RuleDeclaration) -> PipelineDeclaration {
    let publish = action(
        "Publish",
        type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
        &[("BucketName", "site"), ("Extract", "true")],
        &["AppOut"],
        &[],
    );
    let mut deploy = stage("Deploy", vec![publish]);
    deploy.before_entry = Some(
        BeforeEntryConditions::builder()
            .conditions(Condition::builder().result(On::Fail).rules(rule).build())
            .build()
            .unwrap(),
    );
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .pipeline_type(PipelineType::V2)
        .stages(stage("Source", vec![source()]))
        .stages(deploy)
        .build()
        .unwrap()
}

async fn rule_execution(cp: &aws_sdk_codepipeline::Client, pipeline: &str) -> RuleExecutionDetail {
    cp.list_rule_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .unwrap()
        .rule_execution_details()[0]
        .clone()
}

/// The lines of a rule's log stream (`Deploy/<rule>/<rule execution id>`).
async fn rule_log(
    server: &simfra::server::TestServer,
    pipeline: &str,
    rule: &RuleExecutionDetail,
) -> Vec<String> {
    let events = common::logs(server)
        .get_log_events()
        .log_group_name(format!("/aws/codepipeline/{pipeline}"))
        .log_stream_name(format!(
            "Deploy/{}/{}",
            rule.rule_name().unwrap(),
            rule.rule_execution_id().unwrap()
        ))
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    events
        .events()
        .iter()
        .filter_map(|e| e.message().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commands_rule_gates_the_stage() {
    if !docker_available() {
        return;
    }
    let server = common::start_with(docker_settings());
    let s3 = common::s3(&server);
    let cp = common::codepipeline(&server);
    put_source(&s3, &[("version.txt", "1.2.3\n")]).await;
    s3.create_bucket().bucket("site").send().await.unwrap();
    // Both pipelines start at once (CreatePipeline starts the first execution).
    let check = commands_rule(
        "Check",
        &[
            "test -f version.txt",
            "grep -q 1.2.3 version.txt",
            "echo \"checked $(cat version.txt)\"",
        ],
        &["AppOut"],
    );
    cp.create_pipeline()
        .pipeline(gated("rule-pass", check))
        .send()
        .await
        .unwrap();
    let refuse = commands_rule("Refuse", &["echo \"checking in $(pwd)\"", "exit 3"], &[]);
    cp.create_pipeline()
        .pipeline(gated("rule-fail", refuse))
        .send()
        .await
        .unwrap();

    // Exit 0: the stage runs.
    let (_, status) = ended(&cp, "rule-pass", Duration::from_secs(120)).await;
    let rule = rule_execution(&cp, "rule-pass").await;
    assert_eq!(status, PipelineExecutionStatus::Succeeded, "{rule:#?}");
    assert_eq!(rule.status(), Some(&RuleExecutionStatus::Succeeded));
    assert!(action_execution(&cp, "rule-pass", "Publish")
        .await
        .is_some());
    let result = rule.output().unwrap().execution_result().unwrap();
    assert!(
        result
            .external_execution_id()
            .is_some_and(|id| id.starts_with("codepipeline-rule-pass:")),
        "{result:?}"
    );
    assert!(
        result.external_execution_url().unwrap().contains(&format!(
            "group=/aws/codepipeline/rule-pass;stream=Deploy/Check/{}",
            rule.rule_execution_id().unwrap()
        )),
        "{result:?}"
    );
    let lines = rule_log(&server, "rule-pass", &rule).await;
    assert!(lines.iter().any(|l| l == "checked 1.2.3"), "{lines:#?}");

    // Exit 3 (a rule without input artifacts): FAIL engages, the stage's action never runs.
    let (_, status) = ended(&cp, "rule-fail", Duration::from_secs(120)).await;
    let rule = rule_execution(&cp, "rule-fail").await;
    assert_eq!(status, PipelineExecutionStatus::Failed, "{rule:#?}");
    assert_eq!(rule.status(), Some(&RuleExecutionStatus::Failed));
    assert!(action_execution(&cp, "rule-fail", "Publish")
        .await
        .is_none());
    let summary = rule
        .output()
        .unwrap()
        .execution_result()
        .unwrap()
        .external_execution_summary()
        .unwrap()
        .to_string();
    assert!(
        summary.contains("FAILED")
            && summary.contains("in BUILD")
            && summary.contains("exit status 3"),
        "{summary}"
    );
    let lines = rule_log(&server, "rule-fail", &rule).await;
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("checking in /codebuild/output/src")),
        "the commands ran in the (empty) source directory: {lines:#?}"
    );
    let state = cp
        .get_pipeline_state()
        .name("rule-fail")
        .send()
        .await
        .unwrap();
    let deploy = &state.stage_states()[1];
    assert_eq!(
        deploy
            .before_entry_condition_state()
            .and_then(|c| c.latest_execution())
            .and_then(|e| e.status())
            .map(|s| s.as_str()),
        Some("Failed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_docker_a_commands_rule_fails_and_says_why() {
    let server = common::start();
    let s3 = common::s3(&server);
    let cp = common::codepipeline(&server);
    put_source(&s3, &[("a.txt", "a")]).await;
    let check = commands_rule("Check", &["echo never"], &["AppOut"]);
    cp.create_pipeline()
        .pipeline(gated("rule-no-docker", check))
        .send()
        .await
        .unwrap();
    let (_, status) = ended(&cp, "rule-no-docker", Duration::from_secs(30)).await;
    assert_eq!(status, PipelineExecutionStatus::Failed);
    assert!(action_execution(&cp, "rule-no-docker", "Publish")
        .await
        .is_none());
    let rule = rule_execution(&cp, "rule-no-docker").await;
    assert_eq!(rule.status(), Some(&RuleExecutionStatus::Failed));
    let result = rule.output().unwrap().execution_result().unwrap();
    assert!(result
        .external_execution_id()
        .is_some_and(|id| id.starts_with("codepipeline-rule-no-docker:")));
    let summary = result.external_execution_summary().unwrap();
    assert!(summary.contains("PROVISIONING"), "{summary}");
    assert!(summary.contains("SIMFRA_DOCKER=true"), "{summary}");
    assert!(
        summary.contains(&format!(
            "stream Deploy/Check/{}",
            rule.rule_execution_id().unwrap()
        )),
        "{summary}"
    );
    assert_eq!(
        result.error_details().and_then(|e| e.code()),
        Some("JobFailed")
    );
}
