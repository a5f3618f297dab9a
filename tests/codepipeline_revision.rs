//! PutActionRevision through the official SDK: a new revision of an S3 source starts an
//! execution that deploys exactly that object version (trigger PutActionRevision); the same
//! revision again starts nothing; unknown and non-source actions answer AWS's errors.

mod codepipeline_support;
mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, ActionRevision, PipelineDeclaration, PipelineExecutionStatus,
};
use aws_sdk_codepipeline::Client;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use codepipeline_support::{action, code, latest_execution_id, stage, store, type_id, ROLE};

fn zip_with(body: &str) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        z.start_file("index.html", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(body.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    out.into_inner()
}

fn pipeline() -> PipelineDeclaration {
    PipelineDeclaration::builder()
        .name("pinned")
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage(
            "Source",
            vec![action(
                "Source",
                type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
                &[
                    ("S3Bucket", "rev-source"),
                    ("S3ObjectKey", "app.zip"),
                    ("PollForSourceChanges", "false"),
                ],
                &[],
                &["SourceOutput"],
            )],
        ))
        .stages(stage(
            "Deploy",
            vec![action(
                "Deploy",
                type_id(ActionCategory::Deploy, ActionOwner::Aws, "S3"),
                &[("BucketName", "rev-site"), ("Extract", "true")],
                &["SourceOutput"],
                &[],
            )],
        ))
        .build()
        .unwrap()
}

async fn wait(cp: &Client, id: &str) -> PipelineExecutionStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let e = cp
            .get_pipeline_execution()
            .pipeline_name("pinned")
            .pipeline_execution_id(id)
            .send()
            .await
            .unwrap();
        let s = e.pipeline_execution().unwrap().status().unwrap().clone();
        if s != PipelineExecutionStatus::InProgress {
            return s;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn revision(id: &str) -> ActionRevision {
    ActionRevision::builder()
        .revision_id(id)
        .revision_change_id(id)
        .created(DateTime::from_secs(1_767_225_600))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_revision_starts_an_execution_of_that_revision() {
    let server = common::start();
    let s3 = common::s3(&server);
    let cp = common::codepipeline(&server);
    for b in ["rev-source", "rev-site"] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.put_bucket_versioning()
        .bucket("rev-source")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut versions = Vec::new();
    for body in ["v1", "v2"] {
        let put = s3
            .put_object()
            .bucket("rev-source")
            .key("app.zip")
            .body(ByteStream::from(zip_with(body)))
            .send()
            .await
            .unwrap();
        versions.push(put.version_id().unwrap().to_string());
    }
    // Creating the pipeline runs the latest version (v2).
    cp.create_pipeline()
        .pipeline(pipeline())
        .send()
        .await
        .unwrap();
    let first = latest_execution_id(&cp, "pinned").await;
    assert_eq!(wait(&cp, &first).await, PipelineExecutionStatus::Succeeded);

    // v1 is new to the action: an execution of exactly that version.
    let out = cp
        .put_action_revision()
        .pipeline_name("pinned")
        .stage_name("Source")
        .action_name("Source")
        .action_revision(revision(&versions[0]))
        .send()
        .await
        .unwrap();
    assert!(out.new_revision());
    let id = out.pipeline_execution_id().unwrap().to_string();
    assert_eq!(wait(&cp, &id).await, PipelineExecutionStatus::Succeeded);
    let e = cp
        .get_pipeline_execution()
        .pipeline_name("pinned")
        .pipeline_execution_id(&id)
        .send()
        .await
        .unwrap();
    let e = e.pipeline_execution().unwrap();
    assert_eq!(
        e.trigger().unwrap().trigger_type().unwrap().as_str(),
        "PutActionRevision"
    );
    assert_eq!(
        e.artifact_revisions()[0].revision_id(),
        Some(versions[0].as_str())
    );
    let site = s3
        .get_object()
        .bucket("rev-site")
        .key("index.html")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&site[..], b"v1");

    // The same revision again is not new.
    let again = cp
        .put_action_revision()
        .pipeline_name("pinned")
        .stage_name("Source")
        .action_name("Source")
        .action_revision(revision(&versions[0]))
        .send()
        .await
        .unwrap();
    assert!(!again.new_revision());

    let missing = cp
        .put_action_revision()
        .pipeline_name("pinned")
        .stage_name("Source")
        .action_name("Nope")
        .action_revision(revision("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ActionNotFoundException");
    let not_source = cp
        .put_action_revision()
        .pipeline_name("pinned")
        .stage_name("Deploy")
        .action_name("Deploy")
        .action_revision(revision("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&not_source), "ValidationException");
    let no_stage = cp
        .put_action_revision()
        .pipeline_name("pinned")
        .stage_name("Nowhere")
        .action_name("Source")
        .action_revision(revision("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&no_stage), "StageNotFoundException");
}
