//! CodeDeploy with real Docker (skipped with a message when there is no daemon or test image;
//! a failure under `CI=true`): revisions installed into two labelled containers one at a time
//! with every hook, a failing ValidateService hook with automatic rollback, and a second
//! deployment that waits `Queued`.

mod common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{
    AutoRollbackConfiguration, AutoRollbackEvent, BundleType, DeploymentStatus, Ec2TagFilter,
    Ec2TagFilterType, RevisionLocation, RevisionLocationType, S3Location,
};
use aws_sdk_codedeploy::Client;
use aws_sdk_s3::primitives::ByteStream;
use common::docker::{docker_available, TEST_IMAGE};
use simfra::server::TestServer;

/// Containers playing EC2 instances, removed when dropped.
struct Instances {
    ids: Vec<String>,
}

impl Instances {
    fn start(tag: &str, n: usize) -> Instances {
        let ids = (0..n)
            .map(|_| {
                let out = Command::new("docker")
                    .args([
                        "run",
                        "-d",
                        "--label",
                        &format!("simfra.ec2.tag.Name={tag}"),
                        "--label",
                        "simfra.test=codedeploy",
                        TEST_IMAGE,
                        "sleep",
                        "infinity",
                    ])
                    .output()
                    .expect("docker run");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                String::from_utf8_lossy(&out.stdout).trim().to_string()
            })
            .collect();
        Instances { ids }
    }

    fn exec(&self, i: usize, cmd: &str) -> String {
        let out = Command::new("docker")
            .args(["exec", &self.ids[i], "sh", "-c", cmd])
            .output()
            .expect("docker exec");
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

impl Drop for Instances {
    fn drop(&mut self) {
        for id in &self.ids {
            let _ = Command::new("docker").args(["rm", "-f", id]).output();
        }
    }
}

fn server() -> TestServer {
    common::docker::server()
}

const HOOK: &str = "#!/bin/sh\necho \"$LIFECYCLE_EVENT $APPLICATION_NAME\" >> /tmp/hooks.log\n";

fn appspec(validate: &str) -> String {
    let hook =
        |e: &str, s: &str| format!("  {e}:\n    - location: scripts/{s}\n      timeout: 60\n");
    format!(
        "version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /srv/app\npermissions:\n  - object: /srv/app\n    pattern: \"**\"\n    mode: 640\n    type:\n      - file\nhooks:\n{}{}{}{}{}",
        hook("ApplicationStop", "log.sh"),
        hook("BeforeInstall", "log.sh"),
        hook("AfterInstall", "log.sh"),
        hook("ApplicationStart", "log.sh"),
        hook("ValidateService", validate),
    )
}

/// A revision zip: the appspec, the hook scripts (executable) and `app/index.html`.
fn revision(version: &str, validate_body: &str) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let file = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
        let exec = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        z.start_file("appspec.yml", file).unwrap();
        z.write_all(appspec("validate.sh").as_bytes()).unwrap();
        z.start_file("scripts/log.sh", exec).unwrap();
        z.write_all(HOOK.as_bytes()).unwrap();
        z.start_file("scripts/validate.sh", exec).unwrap();
        z.write_all(validate_body.as_bytes()).unwrap();
        z.start_file("app/index.html", file).unwrap();
        z.write_all(version.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    out.into_inner()
}

const VALIDATE_OK: &str =
    "#!/bin/sh\necho \"$LIFECYCLE_EVENT $APPLICATION_NAME\" >> /tmp/hooks.log\n";
const VALIDATE_FAIL: &str = "#!/bin/sh\necho \"health check failed\"\nexit 1\n";

async fn upload(server: &TestServer, key: &str, body: Vec<u8>) {
    let s3 = common::s3(server);
    let _ = s3.create_bucket().bucket("revisions").send().await;
    s3.put_object()
        .bucket("revisions")
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
}

fn s3_revision(key: &str) -> RevisionLocation {
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::S3)
        .s3_location(
            S3Location::builder()
                .bucket("revisions")
                .key(key)
                .bundle_type(BundleType::Zip)
                .build(),
        )
        .build()
}

async fn group(cd: &Client, app: &str, tag: &str, rollback: bool, config: &str) {
    cd.create_application()
        .application_name(app)
        .send()
        .await
        .unwrap();
    let mut g = cd
        .create_deployment_group()
        .application_name(app)
        .deployment_group_name("prod")
        .service_role_arn("arn:aws:iam::000000000000:role/deploy")
        .deployment_config_name(config)
        .ec2_tag_filters(
            Ec2TagFilter::builder()
                .key("Name")
                .value(tag)
                .r#type(Ec2TagFilterType::KeyAndValue)
                .build(),
        );
    if rollback {
        g = g.auto_rollback_configuration(
            AutoRollbackConfiguration::builder()
                .enabled(true)
                .events(AutoRollbackEvent::DeploymentFailure)
                .build(),
        );
    }
    g.send().await.unwrap();
}

async fn deploy(cd: &Client, app: &str, key: &str) -> String {
    cd.create_deployment()
        .application_name(app)
        .deployment_group_name("prod")
        .revision(s3_revision(key))
        .file_exists_behavior(aws_sdk_codedeploy::types::FileExistsBehavior::Overwrite)
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_string()
}

async fn wait(cd: &Client, id: &str) -> aws_sdk_codedeploy::types::DeploymentInfo {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let d = cd
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
            .unwrap()
            .deployment_info()
            .unwrap()
            .clone();
        if matches!(
            d.status(),
            Some(
                DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
            )
        ) {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "deployment {id} did not end: {d:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each target's (status, [event:status]) in target order.
async fn targets(cd: &Client, id: &str) -> Vec<aws_sdk_codedeploy::types::InstanceTarget> {
    let ids = cd
        .list_deployment_targets()
        .deployment_id(id)
        .send()
        .await
        .unwrap()
        .target_ids()
        .to_vec();
    let got = cd
        .batch_get_deployment_targets()
        .deployment_id(id)
        .set_target_ids(Some(ids))
        .send()
        .await
        .unwrap();
    got.deployment_targets()
        .iter()
        .filter_map(|t| t.instance_target().cloned())
        .collect()
}

fn events(t: &aws_sdk_codedeploy::types::InstanceTarget) -> Vec<String> {
    t.lifecycle_events()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e.lifecycle_event_name().unwrap_or_default(),
                e.status().map(|s| s.as_str()).unwrap_or("-")
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_is_installed_one_target_at_a_time_with_every_hook() {
    if !docker_available() {
        return;
    }
    let tag = format!("web-{}-a", std::process::id());
    let instances = Instances::start(&tag, 2);
    let server = server();
    let cd = common::codedeploy(&server);
    upload(&server, "v1.zip", revision("v1", VALIDATE_OK)).await;
    upload(&server, "v2.zip", revision("v2", VALIDATE_OK)).await;
    group(&cd, "shop", &tag, false, "CodeDeployDefault.OneAtATime").await;

    let first = deploy(&cd, "shop", "v1.zip").await;
    let d = wait(&cd, &first).await;
    let ts = targets(&cd, &first).await;
    assert_eq!(d.status(), Some(&DeploymentStatus::Succeeded), "{ts:#?}");
    assert_eq!(ts.len(), 2);
    for t in &ts {
        assert_eq!(
            events(t),
            [
                "ApplicationStop:Succeeded",
                "DownloadBundle:Succeeded",
                "BeforeInstall:Succeeded",
                "Install:Succeeded",
                "AfterInstall:Succeeded",
                "ApplicationStart:Succeeded",
                "ValidateService:Succeeded"
            ]
        );
    }
    let overview = d.deployment_overview().unwrap();
    assert_eq!(overview.succeeded(), 2);
    for i in 0..2 {
        assert_eq!(instances.exec(i, "cat /srv/app/index.html"), "v1");
        assert_eq!(
            instances.exec(i, "stat -c %a /srv/app/index.html").trim(),
            "640"
        );
        assert_eq!(
            instances.exec(i, "cat /tmp/hooks.log"),
            "BeforeInstall shop\nAfterInstall shop\nApplicationStart shop\nValidateService shop\n"
        );
    }

    // The second revision runs the first one's ApplicationStop, then replaces the files.
    let second = deploy(&cd, "shop", "v2.zip").await;
    let d = wait(&cd, &second).await;
    assert_eq!(d.status(), Some(&DeploymentStatus::Succeeded));
    for i in 0..2 {
        assert_eq!(instances.exec(i, "cat /srv/app/index.html"), "v2");
        let log = instances.exec(i, "cat /tmp/hooks.log");
        assert!(log.ends_with("ApplicationStop shop\nBeforeInstall shop\nAfterInstall shop\nApplicationStart shop\nValidateService shop\n"), "{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_validate_service_hook_fails_the_deployment_and_rolls_back() {
    if !docker_available() {
        return;
    }
    let tag = format!("web-{}-b", std::process::id());
    let instances = Instances::start(&tag, 2);
    let server = server();
    let cd = common::codedeploy(&server);
    upload(&server, "good.zip", revision("good", VALIDATE_OK)).await;
    upload(&server, "bad.zip", revision("bad", VALIDATE_FAIL)).await;
    group(&cd, "api", &tag, true, "CodeDeployDefault.OneAtATime").await;
    let good = deploy(&cd, "api", "good.zip").await;
    assert_eq!(
        wait(&cd, &good).await.status(),
        Some(&DeploymentStatus::Succeeded)
    );

    let bad = deploy(&cd, "api", "bad.zip").await;
    let d = wait(&cd, &bad).await;
    assert_eq!(d.status(), Some(&DeploymentStatus::Failed));
    let ts = targets(&cd, &bad).await;
    let statuses: Vec<&str> = ts.iter().map(|t| t.status().unwrap().as_str()).collect();
    assert_eq!(statuses, ["Failed", "Skipped"], "{ts:#?}");
    let validate = ts[0]
        .lifecycle_events()
        .iter()
        .find(|e| e.lifecycle_event_name() == Some("ValidateService"))
        .unwrap();
    let diag = validate.diagnostics().unwrap();
    assert_eq!(diag.error_code().unwrap().as_str(), "ScriptFailed");
    assert_eq!(diag.script_name(), Some("scripts/validate.sh"));
    assert!(
        diag.log_tail().unwrap().contains("health check failed"),
        "{diag:?}"
    );
    // The skipped target was never touched (targets are ordered by container id; an EC2
    // "instance id" is `i-` and the container id's first 17 hex digits).
    let index_of = |target: &aws_sdk_codedeploy::types::InstanceTarget| {
        let hex = target
            .target_id()
            .unwrap()
            .trim_start_matches("i-")
            .to_string();
        instances
            .ids
            .iter()
            .position(|id| id.starts_with(&hex))
            .unwrap()
    };
    let (failed, skipped) = (index_of(&ts[0]), index_of(&ts[1]));
    assert_eq!(instances.exec(skipped, "cat /srv/app/index.html"), "good");

    let rollback = d
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
        .expect("an automatic rollback")
        .to_string();
    let r = wait(&cd, &rollback).await;
    assert_eq!(r.status(), Some(&DeploymentStatus::Succeeded), "{r:?}");
    assert_eq!(
        r.rollback_info()
            .and_then(|i| i.rollback_triggering_deployment_id()),
        Some(bad.as_str())
    );
    assert_eq!(instances.exec(failed, "cat /srv/app/index.html"), "good");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_deployment_to_a_group_waits_queued() {
    if !docker_available() {
        return;
    }
    let tag = format!("web-{}-c", std::process::id());
    let _instances = Instances::start(&tag, 1);
    let server = server();
    let cd = common::codedeploy(&server);
    let slow = "#!/bin/sh\nsleep 2\n";
    upload(&server, "slow.zip", revision("slow", slow)).await;
    group(&cd, "queue", &tag, false, "CodeDeployDefault.AllAtOnce").await;
    let first = deploy(&cd, "queue", "slow.zip").await;
    let second = deploy(&cd, "queue", "slow.zip").await;
    let status = cd
        .get_deployment()
        .deployment_id(&second)
        .send()
        .await
        .unwrap()
        .deployment_info()
        .unwrap()
        .status()
        .cloned();
    assert_eq!(status, Some(DeploymentStatus::Queued));
    assert_eq!(
        wait(&cd, &first).await.status(),
        Some(&DeploymentStatus::Succeeded)
    );
    assert_eq!(
        wait(&cd, &second).await.status(),
        Some(&DeploymentStatus::Succeeded)
    );
}
