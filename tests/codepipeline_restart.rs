//! An execution waiting at a manual approval survives `kill -9`: after a restart on the same
//! data directory it still waits with the same token, and approving it finishes the run.

mod codepipeline_support;
mod common;

use std::time::{Duration, Instant};

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, ApprovalResult, ApprovalStatus, PipelineDeclaration,
    PipelineExecutionStatus,
};
use codepipeline_support::{action, stage, store, type_id, ROLE};
use common::process::Simfra;

fn pipeline() -> PipelineDeclaration {
    let source = action(
        "Source",
        type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
        &[("S3Bucket", "restart-src"), ("S3ObjectKey", "app.zip")],
        &[],
        &["Out"],
    );
    let gate = action(
        "Approve",
        type_id(ActionCategory::Approval, ActionOwner::Aws, "Manual"),
        &[],
        &[],
        &[],
    );
    PipelineDeclaration::builder()
        .name("durable")
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage("Source", vec![source]))
        .stages(stage("Gate", vec![gate]))
        .build()
        .unwrap()
}

async fn pending_token(cp: &aws_sdk_codepipeline::Client) -> Option<String> {
    let state = cp.get_pipeline_state().name("durable").send().await.ok()?;
    state.stage_states()[1].action_states()[0]
        .latest_execution()?
        .token()
        .map(str::to_string)
}

async fn wait_token(cp: &aws_sdk_codepipeline::Client) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(t) = pending_token(cp).await {
            return t;
        }
        assert!(Instant::now() < deadline, "no approval became pending");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let first = Simfra::start(dir.path());
    let s3 = common::s3_at(&first.url());
    s3.create_bucket()
        .bucket("restart-src")
        .send()
        .await
        .unwrap();
    s3.put_bucket_versioning()
        .bucket("restart-src")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("restart-src")
        .key("app.zip")
        .body(b"not really a zip".to_vec().into())
        .send()
        .await
        .unwrap();
    let cp = aws_sdk_codepipeline::Client::new(&common::sdk_config(&first.url()));
    cp.create_pipeline()
        .pipeline(pipeline())
        .send()
        .await
        .unwrap();
    let token = wait_token(&cp).await;
    let id = cp
        .list_pipeline_executions()
        .pipeline_name("durable")
        .send()
        .await
        .unwrap()
        .pipeline_execution_summaries()[0]
        .pipeline_execution_id()
        .unwrap()
        .to_string();
    first.kill_9();

    let second = Simfra::start(dir.path());
    let cp = aws_sdk_codepipeline::Client::new(&common::sdk_config(&second.url()));
    assert_eq!(
        wait_token(&cp).await,
        token,
        "the same approval waits with the same token"
    );
    let exec = cp
        .get_pipeline_execution()
        .pipeline_name("durable")
        .pipeline_execution_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        exec.pipeline_execution().unwrap().status(),
        Some(&PipelineExecutionStatus::InProgress)
    );
    cp.put_approval_result()
        .pipeline_name("durable")
        .stage_name("Gate")
        .action_name("Approve")
        .token(&token)
        .result(
            ApprovalResult::builder()
                .status(ApprovalStatus::Approved)
                .summary("after restart")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let exec = cp
            .get_pipeline_execution()
            .pipeline_name("durable")
            .pipeline_execution_id(&id)
            .send()
            .await
            .unwrap();
        if exec.pipeline_execution().unwrap().status() == Some(&PipelineExecutionStatus::Succeeded)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the execution did not finish after the restart"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
