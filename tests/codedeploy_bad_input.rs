//! CodeDeploy bad input with real Docker (skipped with a message when there is no daemon or
//! test image; a failure under `CI=true`): a hook past its timeout, a revision without an
//! AppSpec, a bundle that is not an archive, a zip with `../` entries, a target container that
//! disappears mid-deployment. Each fails the right lifecycle event with a useful message,
//! nothing lands outside the deployment's directory, and the next deployment still runs.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{
    BundleType, DeploymentStatus, Ec2TagFilter, Ec2TagFilterType, RevisionLocation,
    RevisionLocationType, S3Location,
};
use aws_sdk_codedeploy::Client;
use aws_sdk_s3::primitives::ByteStream;
use common::docker::{docker_available, TEST_IMAGE};
use simfra::server::TestServer;

struct Instance(String);

impl Instance {
    fn start(tag: &str) -> Instance {
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
        Instance(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn exec(&self, cmd: &str) -> String {
        let out = Command::new("docker")
            .args(["exec", &self.0, "sh", "-c", cmd])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

fn appspec_with(event: &str, script: &str, timeout: u32) -> String {
    format!(
        "version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /srv/app\nhooks:\n  {event}:\n    - location: {script}\n      timeout: {timeout}\n"
    )
}

async fn setup(server: &TestServer, tag: &str) -> Client {
    let s3 = common::s3(server);
    s3.create_bucket().bucket("revisions").send().await.unwrap();
    let cd = common::codedeploy(server);
    cd.create_application()
        .application_name("app")
        .send()
        .await
        .unwrap();
    cd.create_deployment_group()
        .application_name("app")
        .deployment_group_name("prod")
        .service_role_arn("arn:aws:iam::000000000000:role/deploy")
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .ec2_tag_filters(
            Ec2TagFilter::builder()
                .key("Name")
                .value(tag)
                .r#type(Ec2TagFilterType::KeyAndValue)
                .build(),
        )
        .send()
        .await
        .unwrap();
    cd
}

async fn deploy(server: &TestServer, cd: &Client, key: &str, body: Vec<u8>) -> String {
    common::s3(server)
        .put_object()
        .bucket("revisions")
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
    cd.create_deployment()
        .application_name("app")
        .deployment_group_name("prod")
        .file_exists_behavior(aws_sdk_codedeploy::types::FileExistsBehavior::Overwrite)
        .revision(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::S3)
                .s3_location(
                    S3Location::builder()
                        .bucket("revisions")
                        .key(key)
                        .bundle_type(BundleType::Zip)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_string()
}

async fn wait(cd: &Client, id: &str) -> aws_sdk_codedeploy::types::DeploymentInfo {
    let deadline = Instant::now() + Duration::from_secs(90);
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
        assert!(Instant::now() < deadline, "deployment {id} did not end");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The one target's failed event: (name, error code, message, log tail).
async fn failed_event(cd: &Client, id: &str) -> (String, String, String, String) {
    let ids = cd
        .list_deployment_targets()
        .deployment_id(id)
        .send()
        .await
        .unwrap()
        .target_ids()
        .to_vec();
    let t = cd
        .get_deployment_target()
        .deployment_id(id)
        .target_id(&ids[0])
        .send()
        .await
        .unwrap();
    let target = t.deployment_target().unwrap().instance_target().unwrap();
    let e = target
        .lifecycle_events()
        .iter()
        .find(|e| e.status().map(|s| s.as_str()) == Some("Failed"))
        .unwrap_or_else(|| panic!("no failed event: {target:#?}"));
    let d = e.diagnostics().unwrap();
    (
        e.lifecycle_event_name().unwrap().to_string(),
        d.error_code()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        d.message().unwrap_or_default().to_string(),
        d.log_tail().unwrap_or_default().to_string(),
    )
}

fn server() -> TestServer {
    common::docker::server()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_revisions_and_hooks_fail_the_right_event() {
    if !docker_available() {
        return;
    }
    let tag = format!("bad-{}", std::process::id());
    let instance = Instance::start(&tag);
    let server = server();
    let cd = setup(&server, &tag).await;

    // A hook that runs past its timeout.
    let slow = common::zip_of(&[
        (
            "appspec.yml",
            &appspec_with("AfterInstall", "slow.sh", 1),
            0o644,
        ),
        ("slow.sh", "#!/bin/sh\necho starting\nsleep 30\n", 0o755),
        ("app/index.html", "x", 0o644),
    ]);
    let id = deploy(&server, &cd, "slow.zip", slow).await;
    let started = Instant::now();
    assert_eq!(
        wait(&cd, &id).await.status(),
        Some(&DeploymentStatus::Failed)
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    let (event, code, _, tail) = failed_event(&cd, &id).await;
    assert_eq!(
        (event.as_str(), code.as_str()),
        ("AfterInstall", "ScriptTimedOut")
    );
    assert!(tail.contains("starting"), "{tail}");

    // A script that is not executable, and one that is missing.
    let not_exec = common::zip_of(&[
        (
            "appspec.yml",
            &appspec_with("BeforeInstall", "plain.sh", 30),
            0o644,
        ),
        ("plain.sh", "#!/bin/sh\ntrue\n", 0o644),
        ("app/index.html", "x", 0o644),
    ]);
    let id = deploy(&server, &cd, "plain.zip", not_exec).await;
    wait(&cd, &id).await;
    let (event, code, _, _) = failed_event(&cd, &id).await;
    assert_eq!(
        (event.as_str(), code.as_str()),
        ("BeforeInstall", "ScriptNotExecutable")
    );
    let missing = common::zip_of(&[
        (
            "appspec.yml",
            &appspec_with("ApplicationStart", "nowhere.sh", 30),
            0o644,
        ),
        ("app/index.html", "x", 0o644),
    ]);
    let id = deploy(&server, &cd, "missing.zip", missing).await;
    wait(&cd, &id).await;
    let (event, code, _, _) = failed_event(&cd, &id).await;
    assert_eq!(
        (event.as_str(), code.as_str()),
        ("ApplicationStart", "ScriptMissing")
    );

    // No AppSpec, a bundle that is not a zip, and a zip that tries to write outside.
    let no_appspec = common::zip_of(&[("app/index.html", "x", 0o644)]);
    let id = deploy(&server, &cd, "no-appspec.zip", no_appspec).await;
    wait(&cd, &id).await;
    let (event, _, message, _) = failed_event(&cd, &id).await;
    assert_eq!(event, "DownloadBundle");
    assert!(message.contains("AppSpec"), "{message}");
    let id = deploy(&server, &cd, "text.zip", b"not an archive".to_vec()).await;
    wait(&cd, &id).await;
    let (event, _, message, _) = failed_event(&cd, &id).await;
    assert_eq!(event, "DownloadBundle");
    assert!(message.contains("not a valid zip"), "{message}");
    let slip = common::zip_of(&[
        (
            "appspec.yml",
            &appspec_with("AfterInstall", "x.sh", 30),
            0o644,
        ),
        ("../../escaped.txt", "gotcha", 0o644),
    ]);
    let id = deploy(&server, &cd, "slip.zip", slip).await;
    wait(&cd, &id).await;
    let (event, _, message, _) = failed_event(&cd, &id).await;
    assert_eq!(event, "DownloadBundle");
    assert!(message.contains("outside"), "{message}");
    assert_eq!(
        instance.exec("ls /opt/codedeploy-agent/deployment-root 2>/dev/null | wc -l"),
        "1"
    );

    // A good revision still deploys afterwards.
    let good = common::zip_of(&[
        (
            "appspec.yml",
            &appspec_with("ValidateService", "ok.sh", 30),
            0o644,
        ),
        ("ok.sh", "#!/bin/sh\ntest -f /srv/app/index.html\n", 0o755),
        ("app/index.html", "good", 0o644),
    ]);
    let id = deploy(&server, &cd, "good.zip", good).await;
    assert_eq!(
        wait(&cd, &id).await.status(),
        Some(&DeploymentStatus::Succeeded)
    );
    assert_eq!(instance.exec("cat /srv/app/index.html"), "good");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_disappears_mid_deployment_fails_it() {
    if !docker_available() {
        return;
    }
    let tag = format!("gone-{}", std::process::id());
    let instance = Instance::start(&tag);
    let server = server();
    let cd = setup(&server, &tag).await;
    let slow = common::zip_of(&[
        (
            "appspec.yml",
            &appspec_with("ApplicationStart", "wait.sh", 60),
            0o644,
        ),
        ("wait.sh", "#!/bin/sh\nsleep 30\n", 0o755),
        ("app/index.html", "x", 0o644),
    ]);
    let id = deploy(&server, &cd, "wait.zip", slow).await;
    // Remove the container while ApplicationStart runs.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ids = cd
            .list_deployment_targets()
            .deployment_id(&id)
            .send()
            .await
            .map(|o| o.target_ids().to_vec())
            .unwrap_or_default();
        if let Some(t) = ids.first() {
            let got = cd
                .get_deployment_target()
                .deployment_id(&id)
                .target_id(t)
                .send()
                .await
                .unwrap();
            let running = got
                .deployment_target()
                .and_then(|d| d.instance_target())
                .map(|t| {
                    t.lifecycle_events().iter().any(|e| {
                        e.lifecycle_event_name() == Some("ApplicationStart")
                            && e.status().map(|s| s.as_str()) == Some("InProgress")
                    })
                })
                .unwrap_or(false);
            if running {
                break;
            }
        }
        assert!(Instant::now() < deadline, "ApplicationStart never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = Command::new("docker")
        .args(["rm", "-f", &instance.0])
        .output();
    let d = wait(&cd, &id).await;
    assert_eq!(d.status(), Some(&DeploymentStatus::Failed));
    let (event, code, _, _) = failed_event(&cd, &id).await;
    assert_eq!(event, "ApplicationStart");
    assert!(
        code == "UnknownError" || code == "ScriptFailed",
        "unexpected error code {code}"
    );
}
