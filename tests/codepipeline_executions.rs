//! Executions that really run, driven through the official SDK: an S3 source, a manual
//! approval gate whose timing the test controls, and an S3 deploy; the three execution modes,
//! transitions, stopping, approvals, variables and idempotency.

mod codepipeline_support;
mod common;

use std::time::Duration;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, ApprovalResult, ApprovalStatus, ExecutionMode,
    PipelineDeclaration, PipelineExecutionStatus, PipelineType, PipelineVariable,
    PipelineVariableDeclaration, StageTransitionType,
};
use aws_sdk_codepipeline::Client;
use codepipeline_support::{action, code, stage, store, type_id, ROLE};

const SOURCE_BUCKET: &str = "exec-source";
const SITE_BUCKET: &str = "exec-site";

/// Creates the versioned source bucket with `app.zip` (two files) and the deploy bucket.
async fn seed_buckets(server: &simfra::server::TestServer) {
    let s3 = common::s3(server);
    for b in [SOURCE_BUCKET, SITE_BUCKET] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.put_bucket_versioning()
        .bucket(SOURCE_BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("simfra-exec-{}", uuid_like()));
    std::fs::create_dir_all(dir.join("src/assets")).unwrap();
    std::fs::write(dir.join("src/index.html"), "<h1>hello</h1>").unwrap();
    std::fs::write(dir.join("src/assets/app.js"), "console.log(1)").unwrap();
    simfra::archive::zip_dir(&dir.join("src"), &dir.join("app.zip")).unwrap();
    let body = std::fs::read(dir.join("app.zip")).unwrap();
    s3.put_object()
        .bucket(SOURCE_BUCKET)
        .key("app.zip")
        .body(body.into())
        .send()
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

fn s3_source() -> aws_sdk_codepipeline::types::ActionDeclaration {
    action(
        "Source",
        type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
        &[
            ("S3Bucket", SOURCE_BUCKET),
            ("S3ObjectKey", "app.zip"),
            ("PollForSourceChanges", "false"),
        ],
        &[],
        &["SourceOutput"],
    )
}

fn approval() -> aws_sdk_codepipeline::types::ActionDeclaration {
    action(
        "Approve",
        type_id(ActionCategory::Approval, ActionOwner::Aws, "Manual"),
        &[("CustomData", "Check the build")],
        &[],
        &[],
    )
}

fn s3_deploy() -> aws_sdk_codepipeline::types::ActionDeclaration {
    action(
        "Deploy",
        type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
        &[("BucketName", SITE_BUCKET), ("Extract", "true")],
        &["SourceOutput"],
        &[],
    )
}

fn gated_pipeline(name: &str, mode: Option<ExecutionMode>) -> PipelineDeclaration {
    let mut b = PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![s3_source()]))
        .stages(stage("Gate", vec![approval()]))
        .stages(stage("Deploy", vec![s3_deploy()]));
    if let Some(m) = mode {
        b = b.pipeline_type(PipelineType::V2).execution_mode(m);
    }
    b.build().unwrap()
}

async fn create(cp: &Client, decl: PipelineDeclaration) -> String {
    cp.create_pipeline().pipeline(decl).send().await.unwrap();
    let name = cp.list_pipelines().send().await.unwrap();
    assert!(!name.pipelines().is_empty());
    // The first execution is started by CreatePipeline itself.
    first_execution(cp, name.pipelines().last().unwrap().name().unwrap()).await
}

async fn first_execution(cp: &Client, pipeline: &str) -> String {
    let list = cp
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .unwrap();
    let last = list
        .pipeline_execution_summaries()
        .last()
        .expect("CreatePipeline started an execution");
    assert_eq!(
        last.trigger().unwrap().trigger_type().unwrap().as_str(),
        "CreatePipeline"
    );
    last.pipeline_execution_id().unwrap().to_string()
}

async fn start(cp: &Client, pipeline: &str) -> String {
    cp.start_pipeline_execution()
        .name(pipeline)
        .send()
        .await
        .unwrap()
        .pipeline_execution_id()
        .unwrap()
        .to_string()
}

async fn status(cp: &Client, pipeline: &str, id: &str) -> PipelineExecutionStatus {
    cp.get_pipeline_execution()
        .pipeline_name(pipeline)
        .pipeline_execution_id(id)
        .send()
        .await
        .unwrap()
        .pipeline_execution()
        .unwrap()
        .status()
        .unwrap()
        .clone()
}

/// Polls (test side only) until `f` holds; the server itself never polls.
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !f().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_status(cp: &Client, pipeline: &str, id: &str, want: PipelineExecutionStatus) {
    eventually(&format!("{id} to be {want:?}"), || async {
        status(cp, pipeline, id).await == want
    })
    .await;
}

/// The pending approval of the Gate stage: (token, execution id of the stage's latest run).
async fn pending_approval(cp: &Client, pipeline: &str) -> Option<(String, String)> {
    let state = cp.get_pipeline_state().name(pipeline).send().await.unwrap();
    let gate = state
        .stage_states()
        .iter()
        .find(|s| s.stage_name() == Some("Gate"))?;
    let token = gate
        .action_states()
        .first()?
        .latest_execution()?
        .token()?
        .to_string();
    let exec = gate.latest_execution()?.pipeline_execution_id().to_string();
    Some((token, exec))
}

async fn wait_approval_for(cp: &Client, pipeline: &str, id: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some((tok, exec)) = pending_approval(cp, pipeline).await {
            if exec == id {
                return tok;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for the approval of {id}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn approve(
    cp: &Client,
    pipeline: &str,
    token: &str,
    status: ApprovalStatus,
) -> Result<(), String> {
    cp.put_approval_result()
        .pipeline_name(pipeline)
        .stage_name("Gate")
        .action_name("Approve")
        .token(token)
        .result(
            ApprovalResult::builder()
                .status(status)
                .summary("reviewed")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_source_approval_and_s3_deploy_really_run() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let id = create(&cp, gated_pipeline("site", None)).await;
    let token = wait_approval_for(&cp, "site", &id).await;
    // The token is shown while the approval waits, with CustomData as the summary.
    let state = cp.get_pipeline_state().name("site").send().await.unwrap();
    let gate = &state.stage_states()[1];
    assert_eq!(
        gate.action_states()[0]
            .latest_execution()
            .unwrap()
            .summary(),
        Some("Check the build")
    );
    assert!(gate.inbound_transition_state().unwrap().enabled());
    approve(&cp, "site", &token, ApprovalStatus::Approved)
        .await
        .unwrap();
    wait_status(&cp, "site", &id, PipelineExecutionStatus::Succeeded).await;

    // The deploy bucket holds exactly the files of the source zip.
    let s3 = common::s3(&server);
    let listed = s3
        .list_objects_v2()
        .bucket(SITE_BUCKET)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<_> = listed
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_string())
        .collect();
    keys.sort();
    assert_eq!(keys, ["assets/app.js", "index.html"]);
    let page = s3
        .get_object()
        .bucket(SITE_BUCKET)
        .key("index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.body.collect().await.unwrap().into_bytes().as_ref(),
        b"<h1>hello</h1>"
    );

    // The execution names the source object's version; the action executions name artifacts.
    let exec = cp
        .get_pipeline_execution()
        .pipeline_name("site")
        .pipeline_execution_id(&id)
        .send()
        .await
        .unwrap();
    let exec = exec.pipeline_execution().unwrap();
    let version = s3
        .head_object()
        .bucket(SOURCE_BUCKET)
        .key("app.zip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        exec.artifact_revisions()[0].revision_id(),
        version.version_id()
    );
    assert_eq!(exec.artifact_revisions()[0].name(), Some("SourceOutput"));
    let actions = cp
        .list_action_executions()
        .pipeline_name("site")
        .send()
        .await
        .unwrap();
    let details = actions.action_execution_details();
    assert_eq!(details.len(), 3);
    let source = details
        .iter()
        .find(|d| d.action_name() == Some("Source"))
        .unwrap();
    let out = &source.output().unwrap().output_artifacts()[0];
    let loc = out.s3_location().unwrap();
    assert_eq!(loc.bucket(), Some("artifacts-bucket"));
    assert!(
        loc.key().unwrap().starts_with("site/SourceOutp/"),
        "{:?}",
        loc.key()
    );
    assert_eq!(
        source.output().unwrap().output_variables().unwrap()["VersionId"],
        version.version_id().unwrap()
    );
    // The artifact is a real object in the artifact store (created on first use).
    s3.head_object()
        .bucket("artifacts-bucket")
        .key(loc.key().unwrap())
        .send()
        .await
        .unwrap();

    // Deploy targets: an S3 deploy has none; unknown executions and pipelines are errors.
    let deploy = details
        .iter()
        .find(|d| d.action_name() == Some("Deploy"))
        .unwrap();
    let targets = cp
        .list_deploy_action_execution_targets()
        .pipeline_name("site")
        .action_execution_id(deploy.action_execution_id().unwrap())
        .send()
        .await
        .unwrap();
    assert!(targets.targets().is_empty());
    let err = cp
        .list_deploy_action_execution_targets()
        .action_execution_id("00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ActionExecutionNotFoundException");
    let err = cp
        .list_deploy_action_execution_targets()
        .pipeline_name("no-such-pipeline")
        .action_execution_id(deploy.action_execution_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PipelineNotFoundException");
    let err = cp
        .list_deploy_action_execution_targets()
        .action_execution_id(deploy.action_execution_id().unwrap())
        .filters(
            aws_sdk_codepipeline::types::TargetFilter::builder()
                .name("SOMETHING_ELSE".into())
                .values("x")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superseded_mode_supersedes_the_waiting_execution() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let first = create(&cp, gated_pipeline("sup", None)).await;
    let t1 = wait_approval_for(&cp, "sup", &first).await;
    let second = start(&cp, "sup").await;
    // The second waits in front of the locked Gate stage...
    eventually("second waits at Gate", || async {
        let state = cp.get_pipeline_state().name("sup").send().await.unwrap();
        state.stage_states()[1]
            .inbound_execution()
            .map(|e| e.pipeline_execution_id().to_string())
            == Some(second.clone())
    })
    .await;
    // ...and a third arrival supersedes it.
    let third = start(&cp, "sup").await;
    wait_status(&cp, "sup", &second, PipelineExecutionStatus::Superseded).await;
    approve(&cp, "sup", &t1, ApprovalStatus::Approved)
        .await
        .unwrap();
    wait_status(&cp, "sup", &first, PipelineExecutionStatus::Succeeded).await;
    let t3 = wait_approval_for(&cp, "sup", &third).await;
    approve(&cp, "sup", &t3, ApprovalStatus::Approved)
        .await
        .unwrap();
    wait_status(&cp, "sup", &third, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(
        status(&cp, "sup", &second).await,
        PipelineExecutionStatus::Superseded
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_mode_keeps_arrival_order() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let first = create(&cp, gated_pipeline("q", Some(ExecutionMode::Queued))).await;
    let second = start(&cp, "q").await;
    let third = start(&cp, "q").await;
    eventually("two queued at Gate", || async {
        let state = cp.get_pipeline_state().name("q").send().await.unwrap();
        state.stage_states()[1].inbound_executions().len() == 2
    })
    .await;
    for id in [&first, &second, &third] {
        let t = wait_approval_for(&cp, "q", id).await;
        approve(&cp, "q", &t, ApprovalStatus::Approved)
            .await
            .unwrap();
        wait_status(&cp, "q", id, PipelineExecutionStatus::Succeeded).await;
    }
    let list = cp
        .list_pipeline_executions()
        .pipeline_name("q")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = list
        .pipeline_execution_summaries()
        .iter()
        .map(|s| s.pipeline_execution_id().unwrap())
        .collect();
    assert_eq!(
        ids,
        [third.as_str(), second.as_str(), first.as_str()],
        "newest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_mode_runs_side_by_side() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let first = create(&cp, gated_pipeline("par", Some(ExecutionMode::Parallel))).await;
    let second = start(&cp, "par").await;
    let third = start(&cp, "par").await;
    // All three wait at their own approval at the same time.
    eventually("three approvals pending at once", || async {
        let actions = cp
            .list_action_executions()
            .pipeline_name("par")
            .send()
            .await
            .unwrap();
        actions
            .action_execution_details()
            .iter()
            .filter(|d| {
                d.action_name() == Some("Approve")
                    && d.status().map(|s| s.as_str()) == Some("InProgress")
            })
            .count()
            == 3
    })
    .await;
    for id in [&first, &second, &third] {
        assert_eq!(
            status(&cp, "par", id).await,
            PipelineExecutionStatus::InProgress
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_transition_holds_and_enabling_releases() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let id = create(&cp, gated_pipeline("tr", None)).await;
    cp.disable_stage_transition()
        .pipeline_name("tr")
        .stage_name("Deploy")
        .transition_type(StageTransitionType::Inbound)
        .reason("Deployment freeze")
        .send()
        .await
        .unwrap();
    let t = wait_approval_for(&cp, "tr", &id).await;
    approve(&cp, "tr", &t, ApprovalStatus::Approved)
        .await
        .unwrap();
    eventually("held in front of Deploy", || async {
        let state = cp.get_pipeline_state().name("tr").send().await.unwrap();
        let deploy = &state.stage_states()[2];
        let tr = deploy.inbound_transition_state().unwrap();
        assert!(!tr.enabled());
        assert_eq!(tr.disabled_reason(), Some("Deployment freeze"));
        assert!(tr.last_changed_by().is_some() && tr.last_changed_at().is_some());
        deploy
            .inbound_execution()
            .map(|e| e.pipeline_execution_id().to_string())
            == Some(id.clone())
    })
    .await;
    assert_eq!(
        status(&cp, "tr", &id).await,
        PipelineExecutionStatus::InProgress
    );
    cp.enable_stage_transition()
        .pipeline_name("tr")
        .stage_name("Deploy")
        .transition_type(StageTransitionType::Inbound)
        .send()
        .await
        .unwrap();
    wait_status(&cp, "tr", &id, PipelineExecutionStatus::Succeeded).await;
    // Unknown stages and the first stage's missing inbound transition are refused.
    let e = cp
        .disable_stage_transition()
        .pipeline_name("tr")
        .stage_name("Nope")
        .transition_type(StageTransitionType::Inbound)
        .reason("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "StageNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_abandon_and_their_errors() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let id = create(&cp, gated_pipeline("stop", Some(ExecutionMode::Parallel))).await;
    let token = wait_approval_for(&cp, "stop", &id).await;
    cp.stop_pipeline_execution()
        .pipeline_name("stop")
        .pipeline_execution_id(&id)
        .reason("Manual stop")
        .send()
        .await
        .unwrap();
    assert_eq!(
        status(&cp, "stop", &id).await,
        PipelineExecutionStatus::Stopping
    );
    let dup = cp
        .stop_pipeline_execution()
        .pipeline_name("stop")
        .pipeline_execution_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&dup), "DuplicatedStopRequestException");
    // The running approval finishes; no later stage starts.
    approve(&cp, "stop", &token, ApprovalStatus::Approved)
        .await
        .unwrap();
    wait_status(&cp, "stop", &id, PipelineExecutionStatus::Stopped).await;
    let summary = cp
        .list_pipeline_executions()
        .pipeline_name("stop")
        .send()
        .await
        .unwrap();
    assert_eq!(
        summary.pipeline_execution_summaries()[0]
            .stop_trigger()
            .unwrap()
            .reason(),
        Some("Manual stop")
    );

    let second = start(&cp, "stop").await;
    wait_approval_for(&cp, "stop", &second).await;
    cp.stop_pipeline_execution()
        .pipeline_name("stop")
        .pipeline_execution_id(&second)
        .abandon(true)
        .reason("Emergency stop")
        .send()
        .await
        .unwrap();
    wait_status(&cp, "stop", &second, PipelineExecutionStatus::Stopped).await;
    let actions = cp
        .list_action_executions()
        .pipeline_name("stop")
        .send()
        .await
        .unwrap();
    let abandoned = actions
        .action_execution_details()
        .iter()
        .find(|d| {
            d.pipeline_execution_id() == Some(second.as_str()) && d.action_name() == Some("Approve")
        })
        .unwrap();
    assert_eq!(abandoned.status().unwrap().as_str(), "Abandoned");
    let again = cp
        .stop_pipeline_execution()
        .pipeline_name("stop")
        .pipeline_execution_id(&second)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again), "PipelineExecutionNotStoppableException");
    let missing = cp
        .stop_pipeline_execution()
        .pipeline_name("stop")
        .pipeline_execution_id("00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "PipelineExecutionNotFoundException");
    let no_pipeline = cp
        .stop_pipeline_execution()
        .pipeline_name("nope")
        .pipeline_execution_id(&second)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_pipeline), "PipelineNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_fails_the_execution_and_tokens_are_checked() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let id = create(&cp, gated_pipeline("rej", None)).await;
    let token = wait_approval_for(&cp, "rej", &id).await;
    let wrong = approve(
        &cp,
        "rej",
        "00000000-0000-4000-8000-000000000000",
        ApprovalStatus::Approved,
    )
    .await;
    assert_eq!(wrong.unwrap_err(), "InvalidApprovalTokenException");
    approve(&cp, "rej", &token, ApprovalStatus::Rejected)
        .await
        .unwrap();
    wait_status(&cp, "rej", &id, PipelineExecutionStatus::Failed).await;
    let twice = approve(&cp, "rej", &token, ApprovalStatus::Approved).await;
    assert_eq!(twice.unwrap_err(), "ApprovalAlreadyCompletedException");
    // A failed action's error is in the state, and later stages never ran.
    let state = cp.get_pipeline_state().name("rej").send().await.unwrap();
    let gate = state.stage_states()[1].action_states()[0]
        .latest_execution()
        .unwrap();
    assert_eq!(gate.status().unwrap().as_str(), "Failed");
    assert!(gate.error_details().is_some());
    assert!(state.stage_states()[2].latest_execution().is_none());
    let unknown_action = cp
        .put_approval_result()
        .pipeline_name("rej")
        .stage_name("Gate")
        .action_name("Nope")
        .token(&token)
        .result(
            ApprovalResult::builder()
                .status(ApprovalStatus::Approved)
                .summary("x")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unknown_action), "ActionNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_and_idempotent_starts() {
    let server = common::start();
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let decl = PipelineDeclaration::builder()
        .name("vars")
        .role_arn(ROLE)
        .artifact_store(store())
        .pipeline_type(PipelineType::V2)
        .variables(
            PipelineVariableDeclaration::builder()
                .name("Env")
                .default_value("staging")
                .build()
                .unwrap(),
        )
        .stages(stage("Source", vec![s3_source()]))
        .stages(stage("Deploy", vec![s3_deploy()]))
        .build()
        .unwrap();
    let first = create(&cp, decl).await;
    wait_status(&cp, "vars", &first, PipelineExecutionStatus::Succeeded).await;
    let run = |token: &'static str| {
        cp.start_pipeline_execution()
            .name("vars")
            .client_request_token(token)
            .variables(
                PipelineVariable::builder()
                    .name("Env")
                    .value("prod")
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let a = run("tok-1")
        .await
        .unwrap()
        .pipeline_execution_id()
        .unwrap()
        .to_string();
    let b = run("tok-1")
        .await
        .unwrap()
        .pipeline_execution_id()
        .unwrap()
        .to_string();
    assert_eq!(
        a, b,
        "the same client request token returns the same execution"
    );
    let exec = cp
        .get_pipeline_execution()
        .pipeline_name("vars")
        .pipeline_execution_id(&a)
        .send()
        .await
        .unwrap();
    let vars = exec.pipeline_execution().unwrap().variables();
    assert_eq!(vars[0].name(), Some("Env"));
    assert_eq!(vars[0].resolved_value(), Some("prod"));
    let unknown = cp
        .start_pipeline_execution()
        .name("vars")
        .variables(
            PipelineVariable::builder()
                .name("Nope")
                .value("x")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unknown), "ValidationException");
    let missing = cp
        .start_pipeline_execution()
        .name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "PipelineNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_approval_times_out_and_fails() {
    let mut settings = simfra::Settings::for_tests();
    settings.approval_timeout_seconds = 1;
    let server = common::start_with(settings);
    seed_buckets(&server).await;
    let cp = common::codepipeline(&server);
    let id = create(&cp, gated_pipeline("late", None)).await;
    wait_approval_for(&cp, "late", &id).await;
    wait_status(&cp, "late", &id, PipelineExecutionStatus::Failed).await;
    let state = cp.get_pipeline_state().name("late").send().await.unwrap();
    let gate = state.stage_states()[1].action_states()[0]
        .latest_execution()
        .unwrap();
    assert_eq!(gate.status().unwrap().as_str(), "Failed");
    assert!(gate.token().is_none(), "an expired approval shows no token");
    assert!(gate
        .error_details()
        .unwrap()
        .message()
        .unwrap()
        .contains("expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_and_delete_during_an_execution() {
    let server = common::start();
    seed_buckets(&server).await;
    let s3 = common::s3(&server);
    s3.create_bucket()
        .bucket("exec-site-v2")
        .send()
        .await
        .unwrap();
    let cp = common::codepipeline(&server);
    let id = create(&cp, gated_pipeline("upd", None)).await;
    let token = wait_approval_for(&cp, "upd", &id).await;
    // Version 2 deploys elsewhere; the running execution keeps version 1.
    let mut v2 = gated_pipeline("upd", None);
    v2.stages[2].actions[0]
        .configuration
        .as_mut()
        .unwrap()
        .insert("BucketName".into(), "exec-site-v2".into());
    let updated = cp.update_pipeline().pipeline(v2).send().await.unwrap();
    assert_eq!(updated.pipeline().unwrap().version(), Some(2));
    approve(&cp, "upd", &token, ApprovalStatus::Approved)
        .await
        .unwrap();
    wait_status(&cp, "upd", &id, PipelineExecutionStatus::Succeeded).await;
    let exec = cp
        .get_pipeline_execution()
        .pipeline_name("upd")
        .pipeline_execution_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        exec.pipeline_execution().unwrap().pipeline_version(),
        Some(1)
    );
    let old_site = s3
        .list_objects_v2()
        .bucket(SITE_BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old_site.key_count(),
        Some(2),
        "version 1 deployed to the old bucket"
    );
    let new_site = s3
        .list_objects_v2()
        .bucket("exec-site-v2")
        .send()
        .await
        .unwrap();
    assert_eq!(new_site.key_count(), Some(0));

    // A new execution runs version 2; deleting the pipeline abandons it and forgets it.
    let second = start(&cp, "upd").await;
    wait_approval_for(&cp, "upd", &second).await;
    let state = cp.get_pipeline_state().name("upd").send().await.unwrap();
    assert_eq!(state.pipeline_version(), Some(2));
    cp.delete_pipeline().name("upd").send().await.unwrap();
    let gone = cp
        .get_pipeline_execution()
        .pipeline_name("upd")
        .pipeline_execution_id(&second)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "PipelineNotFoundException");
    // The name can be used again at once, with a fresh history.
    let fresh = create(&cp, gated_pipeline("upd", None)).await;
    let list = cp
        .list_pipeline_executions()
        .pipeline_name("upd")
        .send()
        .await
        .unwrap();
    assert_eq!(list.pipeline_execution_summaries().len(), 1);
    assert_eq!(
        list.pipeline_execution_summaries()[0].pipeline_execution_id(),
        Some(fresh.as_str())
    );
}
