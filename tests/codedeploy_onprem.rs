//! On-premises instances and CodeDeploy's events, with real Docker (skipped with a message
//! when there is no daemon or test image; a failure under `CI=true`): a registered instance
//! gets a container of `SIMFRA_CODEDEPLOY_IMAGE`, a deployment matched by on-premises tag
//! filters installs into it, deregistering removes it; the deployment's state changes reach an
//! EventBridge rule (delivered into a log group).

mod common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{
    BundleType, DeploymentStatus, RevisionLocation, RevisionLocationType, S3Location, Tag,
    TagFilter, TagFilterType,
};
use aws_sdk_s3::primitives::ByteStream;
use common::docker::{docker_available, TEST_IMAGE};

fn container_of(instance: &str) -> String {
    let out = Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &format!("label=simfra.instance={instance}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_instance_is_a_container_that_deployments_install_into() {
    if !docker_available() {
        return;
    }
    let mut settings = common::docker::settings();
    settings.codedeploy_image = Some(TEST_IMAGE.to_string());
    let server = common::start_with(settings);
    let cd = common::codedeploy(&server);
    let ev = common::events(&server);
    let name = format!("onprem-{}", std::process::id());

    // Every CodeDeploy event goes to a log group.
    ev.put_rule()
        .name("deployments")
        .event_pattern(r#"{"source":["aws.codedeploy"]}"#)
        .send()
        .await
        .unwrap();
    ev.put_targets()
        .rule("deployments")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("log")
                .arn("arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/deployments")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    cd.register_on_premises_instance()
        .instance_name(&name)
        .iam_user_arn("arn:aws:iam::000000000000:user/onprem")
        .send()
        .await
        .unwrap();
    cd.add_tags_to_on_premises_instances()
        .instance_names(&name)
        .tags(Tag::builder().key("Role").value("api").build())
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while container_of(&name).is_empty() {
        assert!(Instant::now() < deadline, "the instance got no container");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut zip = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut zip);
        let o = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
        z.start_file("appspec.yml", o).unwrap();
        z.write_all(
            b"version: 0.0\nos: linux\nfiles:\n  - source: conf\n    destination: /etc/api\n",
        )
        .unwrap();
        z.start_file("conf/api.conf", o).unwrap();
        z.write_all(b"port=8080\n").unwrap();
        z.finish().unwrap();
    }
    let s3 = common::s3(&server);
    s3.create_bucket().bucket("revisions").send().await.unwrap();
    s3.put_object()
        .bucket("revisions")
        .key("api.zip")
        .body(ByteStream::from(zip.into_inner()))
        .send()
        .await
        .unwrap();
    cd.create_application()
        .application_name("api")
        .send()
        .await
        .unwrap();
    cd.create_deployment_group()
        .application_name("api")
        .deployment_group_name("onprem")
        .service_role_arn("arn:aws:iam::000000000000:role/deploy")
        .on_premises_instance_tag_filters(
            TagFilter::builder()
                .key("Role")
                .value("api")
                .r#type(TagFilterType::KeyAndValue)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = cd
        .create_deployment()
        .application_name("api")
        .deployment_group_name("onprem")
        .revision(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::S3)
                .s3_location(
                    S3Location::builder()
                        .bucket("revisions")
                        .key("api.zip")
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
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let d = cd.get_deployment().deployment_id(&id).send().await.unwrap();
        let s = d.deployment_info().unwrap().status().cloned().unwrap();
        if matches!(
            s,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        ) {
            break s;
        }
        assert!(Instant::now() < deadline, "the deployment did not end");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status, DeploymentStatus::Succeeded);
    let target = cd
        .list_deployment_targets()
        .deployment_id(&id)
        .send()
        .await
        .unwrap()
        .target_ids()
        .to_vec();
    assert_eq!(target, std::slice::from_ref(&name));
    let container = container_of(&name);
    let out = Command::new("docker")
        .args(["exec", &container, "cat", "/etc/api/api.conf"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "port=8080\n");

    // The deployment's and the instance's state changes reached the rule's log group.
    let logs = common::logs(&server);
    let mut states = Vec::new();
    for _ in 0..50 {
        if let Ok(out) = logs
            .filter_log_events()
            .log_group_name("/aws/events/deployments")
            .send()
            .await
        {
            states = out
                .events()
                .iter()
                .filter_map(|e| serde_json::from_str::<serde_json::Value>(e.message()?).ok())
                .map(|v| {
                    format!(
                        "{} {}",
                        v["detail-type"].as_str().unwrap_or_default(),
                        v["detail"]["state"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            if states.len() >= 4 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    states.sort();
    assert_eq!(
        states,
        [
            "CodeDeploy Deployment State-change Notification START",
            "CodeDeploy Deployment State-change Notification SUCCESS",
            "CodeDeploy Instance State-change Notification START",
            "CodeDeploy Instance State-change Notification SUCCESS",
        ]
    );

    // Deregistering removes the instance's container.
    cd.deregister_on_premises_instance()
        .instance_name(&name)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !container_of(&name).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the instance's container is left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
