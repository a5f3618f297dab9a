//! The CodeDeploy pipeline action with real Docker (skipped with a message when there is no
//! daemon or test image; a failure under `CI=true`): abandoning the execution while a hook
//! runs stops the deployment.

mod codepipeline_support;
mod common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{DeploymentStatus, Ec2TagFilter, Ec2TagFilterType};
use aws_sdk_codepipeline::types::{ActionCategory, ActionOwner, PipelineDeclaration};
use aws_sdk_s3::primitives::ByteStream;
use codepipeline_support::{action, latest_execution_id, stage, store, type_id, ROLE};
use common::docker::{docker_available, TEST_IMAGE};

struct Target(String);

impl Drop for Target {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoning_the_execution_stops_its_deployment() {
    if !docker_available() {
        return;
    }
    let tag = format!("abandon-{}", std::process::id());
    let out = Command::new("docker")
        .args([
            "run",
            "-d",
            "--label",
            &format!("simfra.ec2.tag.Name={tag}"),
            TEST_IMAGE,
            "sleep",
            "infinity",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let _target = Target(String::from_utf8_lossy(&out.stdout).trim().to_string());
    let server = common::docker::server();
    let s3 = common::s3(&server);
    let cd = common::codedeploy(&server);
    let cp = common::codepipeline(&server);

    let mut zip = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut zip);
        let file = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
        let exec = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        z.start_file("appspec.yml", file).unwrap();
        z.write_all(b"version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: wait.sh\n      timeout: 300\n")
            .unwrap();
        z.start_file("wait.sh", exec).unwrap();
        z.write_all(b"#!/bin/sh\nsleep 300\n").unwrap();
        z.finish().unwrap();
    }
    common::versioned_bucket(&s3, "sources").await;
    s3.put_object()
        .bucket("sources")
        .key("app.zip")
        .body(ByteStream::from(zip.into_inner()))
        .send()
        .await
        .unwrap();
    cd.create_application()
        .application_name("slow")
        .send()
        .await
        .unwrap();
    cd.create_deployment_group()
        .application_name("slow")
        .deployment_group_name("prod")
        .service_role_arn("arn:aws:iam::000000000000:role/deploy")
        .ec2_tag_filters(
            Ec2TagFilter::builder()
                .key("Name")
                .value(&tag)
                .r#type(Ec2TagFilterType::KeyAndValue)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let pipeline = PipelineDeclaration::builder()
        .name("slow-deploy")
        .role_arn(ROLE)
        .artifact_store(store())
        .stages(stage(
            "Source",
            vec![action(
                "App",
                type_id(ActionCategory::Source, ActionOwner::Aws, "S3"),
                &[
                    ("S3Bucket", "sources"),
                    ("S3ObjectKey", "app.zip"),
                    ("PollForSourceChanges", "false"),
                ],
                &[],
                &["AppOut"],
            )],
        ))
        .stages(stage(
            "Deploy",
            vec![action(
                "Deploy",
                type_id(ActionCategory::Deploy, ActionOwner::Aws, "CodeDeploy"),
                &[("ApplicationName", "slow"), ("DeploymentGroupName", "prod")],
                &["AppOut"],
                &[],
            )],
        ))
        .build()
        .unwrap();
    cp.create_pipeline()
        .pipeline(pipeline)
        .send()
        .await
        .unwrap();

    // Wait for the deployment's ApplicationStart hook to run.
    let deadline = Instant::now() + Duration::from_secs(60);
    let deployment = loop {
        let ids = cd
            .list_deployments()
            .application_name("slow")
            .deployment_group_name("prod")
            .send()
            .await
            .unwrap()
            .deployments()
            .to_vec();
        if let Some(id) = ids.first() {
            let targets = cd
                .list_deployment_targets()
                .deployment_id(id)
                .send()
                .await
                .map(|o| o.target_ids().to_vec())
                .unwrap_or_default();
            if let Some(t) = targets.first() {
                let got = cd
                    .get_deployment_target()
                    .deployment_id(id)
                    .target_id(t)
                    .send()
                    .await
                    .unwrap();
                let running = got
                    .deployment_target()
                    .and_then(|d| d.instance_target())
                    .is_some_and(|t| {
                        t.lifecycle_events().iter().any(|e| {
                            e.lifecycle_event_name() == Some("ApplicationStart")
                                && e.status().map(|s| s.as_str()) == Some("InProgress")
                        })
                    });
                if running {
                    break id.clone();
                }
            }
        }
        assert!(Instant::now() < deadline, "the hook never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let execution = latest_execution_id(&cp, "slow-deploy").await;
    cp.stop_pipeline_execution()
        .pipeline_name("slow-deploy")
        .pipeline_execution_id(&execution)
        .abandon(true)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = cd
            .get_deployment()
            .deployment_id(&deployment)
            .send()
            .await
            .unwrap()
            .deployment_info
            .unwrap();
        if d.status() == Some(&DeploymentStatus::Stopped) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the deployment was not stopped: {:?}",
            d.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
