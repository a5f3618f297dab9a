//! Deployments through the SDK: CreateDeployment's record (defaults, overrides, the group's
//! settings, the revision it registers), reading and listing deployments, their targets and
//! instances, stopping and continuing, and the errors of each. The assertions hold whether a
//! runner is wired or not: they need a deployment to exist, not to run.

use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{
    BundleType, ComputePlatform, DeploymentCreator, DeploymentOption, DeploymentStatus,
    DeploymentType, FileExistsBehavior, GitHubLocation, RevisionLocation, RevisionLocationType,
    StopStatus, TargetInstances, TimeRange,
};
use aws_sdk_codedeploy::Client;

use crate::common;
use crate::support::*;

async fn deploy(cd: &Client, key: &str) -> String {
    cd.create_deployment()
        .application_name("shop")
        .deployment_group_name("prod")
        .revision(s3_revision("artifacts", key, BundleType::Zip))
        .send()
        .await
        .expect("deployment created")
        .deployment_id()
        .expect("a deployment id")
        .to_string()
}

async fn status(cd: &Client, id: &str) -> DeploymentStatus {
    cd.get_deployment()
        .deployment_id(id)
        .send()
        .await
        .unwrap()
        .deployment_info
        .unwrap()
        .status
        .unwrap()
}

fn finished(s: &DeploymentStatus) -> bool {
    matches!(
        s,
        DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_records_what_was_asked_and_the_groups_settings() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    let group_id = create_app_and_group(&cd, "shop").await;
    let id = cd
        .create_deployment()
        .application_name("shop")
        .deployment_group_name("prod")
        .revision(s3_revision("artifacts", "shop/app.zip", BundleType::Zip))
        .description("first release")
        .file_exists_behavior(FileExistsBehavior::Overwrite)
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_string();
    assert!(is_deployment_id(&id), "{id}");
    let d = cd
        .get_deployment()
        .deployment_id(&id)
        .send()
        .await
        .unwrap()
        .deployment_info
        .unwrap();
    assert_eq!(d.deployment_id(), Some(id.as_str()));
    assert_eq!(d.application_name(), Some("shop"));
    assert_eq!(d.deployment_group_name(), Some("prod"));
    assert_eq!(
        d.deployment_config_name(),
        Some("CodeDeployDefault.AllAtOnce")
    );
    assert_eq!(d.description(), Some("first release"));
    assert_eq!(d.creator(), Some(&DeploymentCreator::User));
    assert_eq!(
        d.file_exists_behavior(),
        Some(&FileExistsBehavior::Overwrite)
    );
    assert_eq!(d.compute_platform(), Some(&ComputePlatform::Server));
    assert!(!d.ignore_application_stop_failures());
    assert!(d.create_time().is_some());
    assert!(d.deployment_overview().is_some());
    let style = d.deployment_style().unwrap();
    assert_eq!(style.deployment_type(), Some(&DeploymentType::InPlace));
    assert_eq!(
        style.deployment_option(),
        Some(&DeploymentOption::WithoutTrafficControl)
    );
    let s3 = d.revision().unwrap().s3_location().unwrap();
    assert_eq!(s3.bucket(), Some("artifacts"));
    assert_eq!(s3.key(), Some("shop/app.zip"));
    assert_eq!(s3.bundle_type(), Some(&BundleType::Zip));

    // Defaults: the group's configuration, DISALLOW.
    let plain = deploy(&cd, "shop/app.zip").await;
    let d = cd
        .get_deployment()
        .deployment_id(&plain)
        .send()
        .await
        .unwrap()
        .deployment_info
        .unwrap();
    assert_eq!(
        d.deployment_config_name(),
        Some("CodeDeployDefault.OneAtATime")
    );
    assert_eq!(
        d.file_exists_behavior(),
        Some(&FileExistsBehavior::Disallow)
    );

    // The revision is registered with the application, used by the group.
    let rev = cd
        .get_application_revision()
        .application_name("shop")
        .revision(s3_revision("artifacts", "shop/app.zip", BundleType::Zip))
        .send()
        .await
        .unwrap();
    let info = rev.revision_info().unwrap();
    assert_eq!(info.deployment_groups(), ["prod"]);
    assert!(info.first_used_time().is_some() && info.last_used_time().is_some());
    let g = cd
        .get_deployment_group()
        .application_name("shop")
        .deployment_group_name("prod")
        .send()
        .await
        .unwrap()
        .deployment_group_info
        .unwrap();
    assert_eq!(g.deployment_group_id(), Some(group_id.as_str()));
    assert!(g.target_revision().is_some());
    let attempted = g.last_attempted_deployment().unwrap();
    assert!(attempted.create_time().is_some());
    assert!(attempted
        .deployment_id()
        .is_some_and(|d| d == plain || d == id));

    // GitHub and inline AppSpec revisions are accepted (the runner reports what it cannot do).
    let github = RevisionLocation::builder()
        .revision_type(RevisionLocationType::GitHub)
        .git_hub_location(
            GitHubLocation::builder()
                .repository("me/shop")
                .commit_id("0123456789abcdef0123456789abcdef01234567")
                .build(),
        )
        .build();
    cd.create_deployment()
        .application_name("shop")
        .deployment_group_name("prod")
        .revision(github)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_deployment_errors() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    create_app_and_group(&cd, "shop").await;
    let zip = || s3_revision("artifacts", "app.zip", BundleType::Zip);
    let create = || {
        cd.create_deployment()
            .application_name("shop")
            .deployment_group_name("prod")
    };
    assert_eq!(
        err_code(create().send().await),
        "RevisionRequiredException",
        "no revision, and the group has none yet"
    );
    let e = cd
        .create_deployment()
        .application_name("shop")
        .revision(zip())
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentGroupNameRequiredException");
    let e = cd
        .create_deployment()
        .application_name("none")
        .deployment_group_name("prod")
        .revision(zip())
        .send()
        .await;
    assert_eq!(err_code(e), "ApplicationDoesNotExistException");
    let e = cd
        .create_deployment()
        .application_name("shop")
        .deployment_group_name("none")
        .revision(zip())
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentGroupDoesNotExistException");
    let e = create()
        .revision(s3_revision("artifacts", "app.yaml", BundleType::Yaml))
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidRevisionException");
    let e = create()
        .revision(zip())
        .deployment_config_name("Missing")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentConfigDoesNotExistException");
    let e = create()
        .revision(zip())
        .deployment_config_name("CodeDeployDefault.LambdaAllAtOnce")
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidDeploymentConfigNameException");
    let e = create()
        .revision(zip())
        .description("x".repeat(1000))
        .send()
        .await;
    assert_eq!(err_code(e), "DescriptionTooLongException");
    let e = create()
        .revision(zip())
        .file_exists_behavior(FileExistsBehavior::from("MERGE"))
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidFileExistsBehaviorException");
    let e = create()
        .revision(zip())
        .target_instances(
            TargetInstances::builder()
                .auto_scaling_groups("asg")
                .build(),
        )
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidTargetInstancesException");

    // With a revision deployed once, the group's target revision is the default.
    deploy(&cd, "app.zip").await;
    let again = create().send().await.unwrap();
    assert!(is_deployment_id(again.deployment_id().unwrap()));

    let e = cd.get_deployment().deployment_id("nope").send().await;
    assert_eq!(err_code(e), "InvalidDeploymentIdException");
    let e = cd
        .get_deployment()
        .deployment_id("d-ABCDEFGHI")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentDoesNotExistException");
    let e = cd.get_deployment().deployment_id("").send().await;
    assert_eq!(err_code(e), "DeploymentIdRequiredException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_are_listed_newest_first_and_read_in_batches() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    create_app_and_group(&cd, "shop").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(deploy(&cd, &format!("v{i}.zip")).await);
    }
    let all_statuses = [
        DeploymentStatus::Created,
        DeploymentStatus::Queued,
        DeploymentStatus::InProgress,
        DeploymentStatus::Succeeded,
        DeploymentStatus::Failed,
        DeploymentStatus::Stopped,
    ];
    let listed = cd
        .list_deployments()
        .application_name("shop")
        .deployment_group_name("prod")
        .set_include_only_statuses(Some(all_statuses.to_vec()))
        .send()
        .await
        .unwrap();
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(listed.deployments(), newest_first.as_slice());
    let everything = cd.list_deployments().send().await.unwrap();
    assert_eq!(everything.deployments(), newest_first.as_slice());
    let past = at_secs(1_000_000_000);
    let none = cd
        .list_deployments()
        .application_name("shop")
        .deployment_group_name("prod")
        .create_time_range(TimeRange::builder().end(past).build())
        .send()
        .await
        .unwrap();
    assert!(none.deployments().is_empty());
    let e = cd.list_deployments().application_name("shop").send().await;
    assert_eq!(err_code(e), "DeploymentGroupNameRequiredException");
    let e = cd
        .list_deployments()
        .application_name("shop")
        .deployment_group_name("none")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentGroupDoesNotExistException");
    let e = cd
        .list_deployments()
        .include_only_statuses(DeploymentStatus::from("Sleeping"))
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidDeploymentStatusException");

    let batch = cd
        .batch_get_deployments()
        .deployment_ids(&ids[0])
        .deployment_ids(&ids[2])
        .deployment_ids("d-NOTTHERE")
        .send()
        .await;
    assert_eq!(err_code(batch), "InvalidDeploymentIdException");
    let batch = cd
        .batch_get_deployments()
        .deployment_ids(&ids[0])
        .deployment_ids("d-NOTTHERE0")
        .deployment_ids(&ids[2])
        .send()
        .await
        .unwrap();
    let got: Vec<&str> = batch
        .deployments_info()
        .iter()
        .map(|d| d.deployment_id().unwrap())
        .collect();
    assert_eq!(got, [ids[0].as_str(), ids[2].as_str()]);
    let mut too_many = cd.batch_get_deployments();
    for _ in 0..26 {
        too_many = too_many.deployment_ids(&ids[0]);
    }
    assert_eq!(
        err_code(too_many.send().await),
        "BatchLimitExceededException"
    );
}

/// A timestamp of the SDK from epoch seconds.
fn at_secs(secs: i64) -> aws_sdk_codedeploy::primitives::DateTime {
    aws_sdk_codedeploy::primitives::DateTime::from_secs(secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(deprecated)] // the instance operations are deprecated in favour of the target ones
async fn targets_and_instances_of_a_deployment() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    create_app_and_group(&cd, "shop").await;
    let id = deploy(&cd, "app.zip").await;
    // Before the deployment starts there are no targets to show; once it has, a target that is
    // not part of it does not exist.
    match cd.list_deployment_targets().deployment_id(&id).send().await {
        Ok(out) => assert!(
            out.target_ids().is_empty(),
            "no instance is tagged env=prod"
        ),
        Err(e) => assert_eq!(code(&e), "DeploymentNotStartedException"),
    }
    let e = cd
        .get_deployment_target()
        .deployment_id(&id)
        .target_id("web-9")
        .send()
        .await;
    let c = err_code(e);
    assert!(
        c == "DeploymentNotStartedException" || c == "DeploymentTargetDoesNotExistException",
        "{c}"
    );
    let e = cd.get_deployment_target().deployment_id(&id).send().await;
    assert_eq!(err_code(e), "DeploymentTargetIdRequiredException");
    let mut many = cd.batch_get_deployment_targets().deployment_id(&id);
    for i in 0..26 {
        many = many.target_ids(format!("web-{i}"));
    }
    assert_eq!(
        err_code(many.send().await),
        "DeploymentTargetListSizeExceededException"
    );
    let e = cd
        .list_deployment_targets()
        .deployment_id("d-ABCDEFGHI")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentDoesNotExistException");

    match cd
        .list_deployment_instances()
        .deployment_id(&id)
        .send()
        .await
    {
        Ok(out) => assert!(out.instances_list().is_empty()),
        Err(e) => assert_eq!(code(&e), "DeploymentNotStartedException"),
    }
    let e = cd
        .get_deployment_instance()
        .deployment_id(&id)
        .instance_id("web-9")
        .send()
        .await;
    assert_eq!(err_code(e), "InstanceDoesNotExistException");
    let batch = cd
        .batch_get_deployment_instances()
        .deployment_id(&id)
        .instance_ids("web-9")
        .send()
        .await
        .unwrap();
    assert!(batch.instances_summary().is_empty());
    assert!(batch.error_message().unwrap().contains("web-9"));
    let e = cd
        .batch_get_deployment_instances()
        .deployment_id(&id)
        .send()
        .await;
    assert_eq!(err_code(e), "InstanceIdRequiredException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_and_continuing_deployments() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    create_app_and_group(&cd, "shop").await;
    let id = deploy(&cd, "app.zip").await;
    let e = cd.continue_deployment().deployment_id(&id).send().await;
    let c = err_code(e);
    assert!(
        c == "UnsupportedActionForDeploymentTypeException"
            || c == "DeploymentAlreadyCompletedException",
        "{c}"
    );
    match cd
        .stop_deployment()
        .deployment_id(&id)
        .auto_rollback_enabled(false)
        .send()
        .await
    {
        Ok(out) => {
            let s = out.status().unwrap();
            assert!(
                matches!(s, StopStatus::Pending | StopStatus::Succeeded),
                "{s:?}"
            );
            assert!(out.status_message().is_some());
        }
        Err(e) => assert_eq!(code(&e), "DeploymentAlreadyCompletedException"),
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !finished(&status(&cd, &id).await) {
        assert!(Instant::now() < deadline, "the deployment never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let e = cd.stop_deployment().deployment_id(&id).send().await;
    assert_eq!(err_code(e), "DeploymentAlreadyCompletedException");
    let e = cd
        .stop_deployment()
        .deployment_id("d-ABCDEFGHI")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentDoesNotExistException");
    let e = cd.stop_deployment().deployment_id("bad").send().await;
    assert_eq!(err_code(e), "InvalidDeploymentIdException");
}

/// How a deployment ended, waiting for it (the runner is wired; without Docker it fails).
async fn ended(cd: &Client, id: &str) -> aws_sdk_codedeploy::types::DeploymentInfo {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = cd
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
            .unwrap()
            .deployment_info
            .unwrap();
        if finished(d.status().unwrap()) {
            return d;
        }
        assert!(Instant::now() < deadline, "deployment {id} did not end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_docker_or_for_other_platforms_deployments_fail_and_say_why() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    create_app_and_group(&cd, "shop").await;
    let id = deploy(&cd, "app.zip").await;
    let d = ended(&cd, &id).await;
    assert_eq!(d.status(), Some(&DeploymentStatus::Failed));
    let message = d
        .error_information()
        .unwrap()
        .message()
        .unwrap()
        .to_string();
    assert!(message.contains("SIMFRA_DOCKER=true"), "{message}");

    // A Lambda deployment fails naming the service simfra lacks.
    cd.create_application()
        .application_name("fn")
        .compute_platform(ComputePlatform::Lambda)
        .send()
        .await
        .unwrap();
    cd.create_deployment_group()
        .application_name("fn")
        .deployment_group_name("live")
        .service_role_arn(ROLE)
        .deployment_config_name("CodeDeployDefault.LambdaAllAtOnce")
        .deployment_style(
            aws_sdk_codedeploy::types::DeploymentStyle::builder()
                .deployment_type(DeploymentType::BlueGreen)
                .deployment_option(DeploymentOption::WithTrafficControl)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = cd
        .create_deployment()
        .application_name("fn")
        .deployment_group_name("live")
        .revision(s3_revision("artifacts", "fn.zip", BundleType::Zip))
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_string();
    let d = ended(&cd, &id).await;
    assert_eq!(d.status(), Some(&DeploymentStatus::Failed));
    let message = d
        .error_information()
        .unwrap()
        .message()
        .unwrap()
        .to_string();
    assert!(message.contains("Lambda"), "{message}");
}
