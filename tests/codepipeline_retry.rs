//! RetryStageExecution and RollbackStage through the official SDK, on pipelines whose actions
//! fail or succeed as the test decides: an S3 deploy fails while its bucket is missing (and
//! succeeds once the test creates it), a manual approval fails when rejected, and an S3 deploy
//! of a source object that is not a zip fails. Also the automatic rollback of a stage whose
//! `onFailure` result is ROLLBACK, and a retry that survives `kill -9`.

mod codepipeline_support;
mod common;

use std::time::Duration;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ApprovalResult, ApprovalStatus, ExecutionMode,
    FailureConditions, PipelineDeclaration, PipelineExecutionStatus, PipelineType, Result as On,
    StageDeclaration, StageRetryMode,
};
use aws_sdk_codepipeline::Client;
use codepipeline_support::{action, code, stage, store, type_id, ROLE};

/// Creates `buckets`; the first is versioned and holds `app.zip` with `index.html` = `page`.
async fn seed(s3: &aws_sdk_s3::Client, buckets: &[&str], page: &str) {
    for b in buckets {
        s3.create_bucket().bucket(*b).send().await.unwrap();
    }
    s3.put_bucket_versioning()
        .bucket(buckets[0])
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    upload(s3, buckets[0], page).await;
}

/// Uploads a new version of `app.zip` holding `index.html` = `page`.
async fn upload(s3: &aws_sdk_s3::Client, bucket: &str, page: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/index.html"), page).unwrap();
    simfra::archive::zip_dir(&dir.path().join("src"), &dir.path().join("app.zip")).unwrap();
    put(
        s3,
        bucket,
        std::fs::read(dir.path().join("app.zip")).unwrap(),
    )
    .await;
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, body: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key("app.zip")
        .body(body.into())
        .send()
        .await
        .unwrap();
}

async fn page(s3: &aws_sdk_s3::Client, bucket: &str) -> String {
    let obj = s3
        .get_object()
        .bucket(bucket)
        .key("index.html")
        .send()
        .await
        .unwrap();
    String::from_utf8(obj.body.collect().await.unwrap().to_vec()).unwrap()
}

fn s3_source(bucket: &str) -> ActionDeclaration {
    action(
        "Source",
        type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
        &[
            ("S3Bucket", bucket),
            ("S3ObjectKey", "app.zip"),
            ("PollForSourceChanges", "false"),
        ],
        &[],
        &["SourceOutput"],
    )
}

fn s3_deploy(name: &str, bucket: &str) -> ActionDeclaration {
    action(
        name,
        type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
        &[("BucketName", bucket), ("Extract", "true")],
        &["SourceOutput"],
        &[],
    )
}

fn approval() -> ActionDeclaration {
    action(
        "Approve",
        type_id(ActionCategory::Approval, ActionOwner::Aws, "Manual"),
        &[],
        &[],
        &[],
    )
}

fn v2(name: &str, stages: Vec<StageDeclaration>) -> PipelineDeclaration {
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(ROLE)
        .artifact_store(store())
        .pipeline_type(PipelineType::V2)
        .execution_mode(ExecutionMode::Superseded)
        .set_stages(Some(stages))
        .build()
        .unwrap()
}

/// Creates the pipeline and returns the execution CreatePipeline started.
async fn create(cp: &Client, decl: PipelineDeclaration) -> String {
    let name = decl.name().to_string();
    cp.create_pipeline().pipeline(decl).send().await.unwrap();
    latest_execution(cp, &name).await
}

async fn latest_execution(cp: &Client, pipeline: &str) -> String {
    cp.list_pipeline_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .unwrap()
        .pipeline_execution_summaries()[0]
        .pipeline_execution_id()
        .unwrap()
        .to_string()
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

async fn execution(
    cp: &Client,
    pipeline: &str,
    id: &str,
) -> aws_sdk_codepipeline::types::PipelineExecution {
    cp.get_pipeline_execution()
        .pipeline_name(pipeline)
        .pipeline_execution_id(id)
        .send()
        .await
        .unwrap()
        .pipeline_execution()
        .unwrap()
        .clone()
}

/// Polls (test side only) until `f` holds; the server itself never polls.
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
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
        execution(cp, pipeline, id).await.status() == Some(&want)
    })
    .await;
}

async fn retry(
    cp: &Client,
    pipeline: &str,
    stage: &str,
    id: &str,
    mode: StageRetryMode,
) -> Result<String, String> {
    cp.retry_stage_execution()
        .pipeline_name(pipeline)
        .stage_name(stage)
        .pipeline_execution_id(id)
        .retry_mode(mode)
        .send()
        .await
        .map(|o| o.pipeline_execution_id().unwrap().to_string())
        .map_err(|e| code(&e))
}

async fn rollback(
    cp: &Client,
    pipeline: &str,
    stage: &str,
    target: &str,
) -> Result<String, String> {
    cp.rollback_stage()
        .pipeline_name(pipeline)
        .stage_name(stage)
        .target_pipeline_execution_id(target)
        .send()
        .await
        .map(|o| o.pipeline_execution_id().to_string())
        .map_err(|e| code(&e))
}

/// How many times each action of execution `id` ran, by name.
async fn runs(cp: &Client, pipeline: &str, id: &str, action: &str) -> Vec<String> {
    let list = cp
        .list_action_executions()
        .pipeline_name(pipeline)
        .filter(
            aws_sdk_codepipeline::types::ActionExecutionFilter::builder()
                .pipeline_execution_id(id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    list.action_execution_details()
        .iter()
        .filter(|d| d.action_name() == Some(action))
        .map(|d| d.status().unwrap().as_str().to_string())
        .collect()
}

/// The token of the Gate stage's pending approval of execution `id`.
async fn pending_approval(cp: &Client, pipeline: &str, id: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let state = cp.get_pipeline_state().name(pipeline).send().await.unwrap();
        let gate = state
            .stage_states()
            .iter()
            .find(|s| s.stage_name() == Some("Gate"))
            .unwrap();
        let latest = gate.latest_execution().map(|e| e.pipeline_execution_id());
        let token = gate.action_states()[0]
            .latest_execution()
            .and_then(|e| e.token())
            .filter(|_| latest == Some(id));
        if let Some(token) = token {
            return token.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for an approval of {id}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn answer(cp: &Client, pipeline: &str, token: &str, status: ApprovalStatus) {
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
        .unwrap();
}

/// Source, then Deploy: `ToA` deploys to `<p>-a` (exists), `ToB` to `<p>-b` (missing at first).
async fn two_deploys(server: &simfra::server::TestServer, p: &str) -> (Client, String) {
    let s3 = common::s3(server);
    seed(
        &s3,
        &[&format!("{p}-src"), &format!("{p}-a")],
        "<h1>one</h1>",
    )
    .await;
    let cp = common::codepipeline(server);
    let decl = v2(
        p,
        vec![
            stage("Source", vec![s3_source(&format!("{p}-src"))]),
            stage(
                "Deploy",
                vec![
                    s3_deploy("ToA", &format!("{p}-a")),
                    s3_deploy("ToB", &format!("{p}-b")),
                ],
            ),
        ],
    );
    let id = create(&cp, decl).await;
    wait_status(&cp, p, &id, PipelineExecutionStatus::Failed).await;
    (cp, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_actions_retry_after_fixing_the_cause_reruns_only_the_failed_action() {
    let server = common::start();
    let (cp, id) = two_deploys(&server, "fa").await;
    let state = cp.get_pipeline_state().name("fa").send().await.unwrap();
    let deploy = &state.stage_states()[1];
    assert_eq!(
        deploy.latest_execution().unwrap().status().as_str(),
        "Failed"
    );
    assert!(deploy.retry_stage_metadata().is_none());
    // The cause is fixed: the missing bucket now exists.
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("fa-b").send().await.unwrap();
    let same = retry(&cp, "fa", "Deploy", &id, StageRetryMode::FailedActions)
        .await
        .unwrap();
    assert_eq!(same, id, "a retry resumes the same execution");
    wait_status(&cp, "fa", &id, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(runs(&cp, "fa", &id, "ToA").await, ["Succeeded"]);
    assert_eq!(
        runs(&cp, "fa", &id, "ToB").await,
        ["Succeeded", "Failed"],
        "newest first: the retry is a new action execution"
    );
    assert_eq!(runs(&cp, "fa", &id, "Source").await, ["Succeeded"]);
    assert_eq!(page(&s3, "fa-b").await, "<h1>one</h1>");
    let state = cp.get_pipeline_state().name("fa").send().await.unwrap();
    let deploy = &state.stage_states()[1];
    let latest = deploy.latest_execution().unwrap();
    assert_eq!(latest.pipeline_execution_id(), id);
    assert_eq!(latest.status().as_str(), "Succeeded");
    let meta = deploy.retry_stage_metadata().unwrap();
    assert_eq!(meta.manual_stage_retry_attempt(), Some(1));
    assert_eq!(meta.auto_stage_retry_attempt(), Some(0));
    assert_eq!(
        meta.latest_retry_trigger().map(|t| t.as_str()),
        Some("ManualStageRetry")
    );
    let exec = execution(&cp, "fa", &id).await;
    assert_eq!(exec.execution_type().map(|t| t.as_str()), Some("STANDARD"));
    assert!(exec.status_summary().is_none());
    let list = cp
        .list_pipeline_executions()
        .pipeline_name("fa")
        .send()
        .await
        .unwrap();
    assert_eq!(
        list.pipeline_execution_summaries().len(),
        1,
        "no new execution"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_actions_retry_reruns_every_action_of_the_stage() {
    let server = common::start();
    let (cp, id) = two_deploys(&server, "aa").await;
    common::s3(&server)
        .create_bucket()
        .bucket("aa-b")
        .send()
        .await
        .unwrap();
    retry(&cp, "aa", "Deploy", &id, StageRetryMode::AllActions)
        .await
        .unwrap();
    wait_status(&cp, "aa", &id, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(
        runs(&cp, "aa", &id, "ToA").await,
        ["Succeeded", "Succeeded"]
    );
    assert_eq!(runs(&cp, "aa", &id, "ToB").await, ["Succeeded", "Failed"]);
    assert_eq!(runs(&cp, "aa", &id, "Source").await, ["Succeeded"]);
}

fn gated(name: &str) -> PipelineDeclaration {
    v2(
        name,
        vec![
            stage("Source", vec![s3_source("gate-src")]),
            stage("Gate", vec![approval()]),
            stage("Deploy", vec![s3_deploy("Deploy", "gate-site")]),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_errors() {
    let server = common::start();
    let s3 = common::s3(&server);
    seed(&s3, &["gate-src", "gate-site"], "<h1>g</h1>").await;
    let cp = common::codepipeline(&server);
    let first = create(&cp, gated("g")).await;
    let mode = StageRetryMode::FailedActions;
    // Not failed yet: the approval waits.
    let t1 = pending_approval(&cp, "g", &first).await;
    assert_eq!(
        retry(&cp, "g", "Gate", &first, mode.clone()).await,
        Err("StageNotRetryableException".into())
    );
    answer(&cp, "g", &t1, ApprovalStatus::Rejected).await;
    wait_status(&cp, "g", &first, PipelineExecutionStatus::Failed).await;
    // Bad input, unknown pipeline and stage, a stage that succeeded, one never reached.
    assert_eq!(
        retry(
            &cp,
            "g",
            "Gate",
            &first,
            StageRetryMode::from("SOME_ACTIONS")
        )
        .await,
        Err("ValidationException".into())
    );
    assert_eq!(
        retry(&cp, "nope", "Gate", &first, mode.clone()).await,
        Err("PipelineNotFoundException".into())
    );
    assert_eq!(
        retry(&cp, "g", "Nope", &first, mode.clone()).await,
        Err("StageNotFoundException".into())
    );
    assert_eq!(
        retry(&cp, "g", "Source", &first, mode.clone()).await,
        Err("StageNotRetryableException".into())
    );
    assert_eq!(
        retry(&cp, "g", "Deploy", &first, mode.clone()).await,
        Err("StageNotRetryableException".into())
    );
    // A newer execution enters Gate: the first is no longer the stage's latest.
    let second = start(&cp, "g").await;
    let t2 = pending_approval(&cp, "g", &second).await;
    assert_eq!(
        retry(&cp, "g", "Gate", &first, mode.clone()).await,
        Err("NotLatestPipelineExecutionException".into())
    );
    answer(&cp, "g", &t2, ApprovalStatus::Rejected).await;
    wait_status(&cp, "g", &second, PipelineExecutionStatus::Failed).await;
    // A retry runs (its approval waits); a second one meanwhile is a conflict.
    retry(&cp, "g", "Gate", &second, mode.clone())
        .await
        .unwrap();
    assert_eq!(
        retry(&cp, "g", "Gate", &second, mode.clone()).await,
        Err("ConflictException".into())
    );
    let t3 = pending_approval(&cp, "g", &second).await;
    assert_ne!(t3, t2, "the retried approval has a new token");
    let state = cp.get_pipeline_state().name("g").send().await.unwrap();
    assert_eq!(
        state.stage_states()[1]
            .latest_execution()
            .unwrap()
            .status()
            .as_str(),
        "InProgress"
    );
    answer(&cp, "g", &t3, ApprovalStatus::Approved).await;
    wait_status(&cp, "g", &second, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(page(&s3, "gate-site").await, "<h1>g</h1>");
    // The pipeline changed since the execution started: not retryable.
    let third = start(&cp, "g").await;
    let t4 = pending_approval(&cp, "g", &third).await;
    answer(&cp, "g", &t4, ApprovalStatus::Rejected).await;
    wait_status(&cp, "g", &third, PipelineExecutionStatus::Failed).await;
    let mut changed = gated("g");
    changed.stages[1].actions[0].run_order = Some(2);
    cp.update_pipeline().pipeline(changed).send().await.unwrap();
    assert_eq!(
        retry(&cp, "g", "Gate", &third, mode).await,
        Err("StageNotRetryableException".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let first = common::process::Simfra::start(dir.path());
    let s3 = common::s3_at(&first.url());
    seed(&s3, &["gate-src", "gate-site"], "<h1>k</h1>").await;
    let cp = Client::new(&common::sdk_config(&first.url()));
    let id = create(&cp, gated("k")).await;
    let t1 = pending_approval(&cp, "k", &id).await;
    answer(&cp, "k", &t1, ApprovalStatus::Rejected).await;
    wait_status(&cp, "k", &id, PipelineExecutionStatus::Failed).await;
    retry(&cp, "k", "Gate", &id, StageRetryMode::AllActions)
        .await
        .unwrap();
    let t2 = pending_approval(&cp, "k", &id).await;
    first.kill_9();

    let second = common::process::Simfra::start(dir.path());
    let cp = Client::new(&common::sdk_config(&second.url()));
    assert_eq!(
        pending_approval(&cp, "k", &id).await,
        t2,
        "the retried approval waits again with the same token"
    );
    answer(&cp, "k", &t2, ApprovalStatus::Approved).await;
    wait_status(&cp, "k", &id, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(
        runs(&cp, "k", &id, "Approve").await,
        ["Succeeded", "Failed"]
    );
    let s3 = common::s3_at(&second.url());
    assert_eq!(page(&s3, "gate-site").await, "<h1>k</h1>");
}

fn deploy_pipeline(name: &str, on_failure: Option<On>) -> PipelineDeclaration {
    let mut deploy = stage("Deploy", vec![s3_deploy("Deploy", &format!("{name}-site"))]);
    if let Some(result) = on_failure {
        deploy.on_failure = Some(FailureConditions::builder().result(result).build());
    }
    v2(
        name,
        vec![
            stage("Source", vec![s3_source(&format!("{name}-src"))]),
            deploy,
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_deploys_the_earlier_revision_again() {
    let server = common::start();
    let s3 = common::s3(&server);
    seed(&s3, &["rb-src", "rb-site"], "<h1>v1</h1>").await;
    let cp = common::codepipeline(&server);
    let v1 = create(&cp, deploy_pipeline("rb", None)).await;
    wait_status(&cp, "rb", &v1, PipelineExecutionStatus::Succeeded).await;
    upload(&s3, "rb-src", "<h1>v2</h1>").await;
    let v2 = start(&cp, "rb").await;
    wait_status(&cp, "rb", &v2, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(page(&s3, "rb-site").await, "<h1>v2</h1>");

    let back = rollback(&cp, "rb", "Deploy", &v1).await.unwrap();
    assert_ne!(back, v1);
    wait_status(&cp, "rb", &back, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(
        page(&s3, "rb-site").await,
        "<h1>v1</h1>",
        "v1 is deployed again"
    );
    let exec = execution(&cp, "rb", &back).await;
    assert_eq!(exec.execution_type().map(|t| t.as_str()), Some("ROLLBACK"));
    assert_eq!(
        exec.trigger().unwrap().trigger_type().map(|t| t.as_str()),
        Some("ManualRollback")
    );
    assert_eq!(
        exec.rollback_metadata()
            .unwrap()
            .rollback_target_pipeline_execution_id(),
        Some(v1.as_str())
    );
    let first = execution(&cp, "rb", &v1).await;
    assert_eq!(
        exec.artifact_revisions()[0].revision_id(),
        first.artifact_revisions()[0].revision_id(),
        "the rollback names the target's source revision"
    );
    assert_eq!(runs(&cp, "rb", &back, "Source").await, Vec::<String>::new());
    assert_eq!(runs(&cp, "rb", &back, "Deploy").await, ["Succeeded"]);
    let state = cp.get_pipeline_state().name("rb").send().await.unwrap();
    let deploy = state.stage_states()[1].latest_execution().unwrap();
    assert_eq!(deploy.pipeline_execution_id(), back);
    assert_eq!(deploy.r#type().map(|t| t.as_str()), Some("ROLLBACK"));
    let list = cp
        .list_pipeline_executions()
        .pipeline_name("rb")
        .send()
        .await
        .unwrap();
    let summary = &list.pipeline_execution_summaries()[0];
    assert_eq!(summary.pipeline_execution_id(), Some(back.as_str()));
    assert_eq!(
        summary
            .rollback_metadata()
            .unwrap()
            .rollback_target_pipeline_execution_id(),
        Some(v1.as_str())
    );

    // Errors: the source stage, an unknown target, a rollback as target, an unknown stage.
    assert_eq!(
        rollback(&cp, "rb", "Source", &v1).await,
        Err("UnableToRollbackStageException".into())
    );
    assert_eq!(
        rollback(&cp, "rb", "Deploy", "00000000-0000-4000-8000-000000000000").await,
        Err("PipelineExecutionNotFoundException".into())
    );
    assert_eq!(
        rollback(&cp, "rb", "Deploy", &back).await,
        Err("UnableToRollbackStageException".into())
    );
    assert_eq!(
        rollback(&cp, "rb", "Nope", &v1).await,
        Err("StageNotFoundException".into())
    );
    assert_eq!(
        rollback(&cp, "nope", "Deploy", &v1).await,
        Err("PipelineNotFoundException".into())
    );
    // After an update the earlier executions are outdated targets.
    cp.update_pipeline()
        .pipeline(deploy_pipeline("rb", None))
        .send()
        .await
        .unwrap();
    assert_eq!(
        rollback(&cp, "rb", "Deploy", &v1).await,
        Err("PipelineExecutionOutdatedException".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_is_refused_for_v1_pipelines_and_failed_targets() {
    let server = common::start();
    let s3 = common::s3(&server);
    seed(&s3, &["v1p-src", "v1p-site"], "<h1>v1</h1>").await;
    let cp = common::codepipeline(&server);
    let mut decl = deploy_pipeline("v1p", None);
    decl.pipeline_type = Some(PipelineType::V1);
    decl.execution_mode = None;
    let id = create(&cp, decl).await;
    wait_status(&cp, "v1p", &id, PipelineExecutionStatus::Succeeded).await;
    assert_eq!(
        rollback(&cp, "v1p", "Deploy", &id).await,
        Err("UnableToRollbackStageException".into())
    );
    // A V2 pipeline whose only execution failed in the stage has nothing to return to.
    let (cp, failed) = two_deploys(&server, "nf").await;
    assert_eq!(
        rollback(&cp, "nf", "Deploy", &failed).await,
        Err("UnableToRollbackStageException".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_failure_rollback_restores_the_last_successful_deployment() {
    let server = common::start();
    let s3 = common::s3(&server);
    seed(&s3, &["auto-src", "auto-site"], "<h1>good</h1>").await;
    let cp = common::codepipeline(&server);
    let good = create(&cp, deploy_pipeline("auto", Some(On::Rollback))).await;
    wait_status(&cp, "auto", &good, PipelineExecutionStatus::Succeeded).await;
    // A source object that is not a zip: the deploy fails to extract it.
    put(&s3, "auto-src", b"not a zip".to_vec()).await;
    let bad = start(&cp, "auto").await;
    wait_status(&cp, "auto", &bad, PipelineExecutionStatus::Failed).await;
    eventually("an automated rollback", || async {
        latest_execution(&cp, "auto").await != bad
    })
    .await;
    let back = latest_execution(&cp, "auto").await;
    wait_status(&cp, "auto", &back, PipelineExecutionStatus::Succeeded).await;
    let exec = execution(&cp, "auto", &back).await;
    assert_eq!(exec.execution_type().map(|t| t.as_str()), Some("ROLLBACK"));
    assert_eq!(
        exec.trigger().unwrap().trigger_type().map(|t| t.as_str()),
        Some("AutomatedRollback")
    );
    assert_eq!(
        exec.rollback_metadata()
            .unwrap()
            .rollback_target_pipeline_execution_id(),
        Some(good.as_str())
    );
    assert_eq!(page(&s3, "auto-site").await, "<h1>good</h1>");
}
