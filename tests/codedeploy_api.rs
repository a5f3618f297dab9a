//! CodeDeploy's API through the official SDK and the CLI: applications, deployment groups,
//! deployment configurations (predefined and custom), on-premises instances, revisions and
//! resource tags, with their defaults and errors. Applications and deployment groups are here,
//! configurations, instances, revisions and tags in `codedeploy_api/resources.rs`, deployments
//! in `codedeploy_api/deployments.rs`. No test depends on a deployment running.

mod common;
#[path = "codedeploy_api/deployments.rs"]
mod deployments;
#[path = "codedeploy_api/resources.rs"]
mod resources;
#[path = "codedeploy_api/support.rs"]
mod support;

use aws_sdk_codedeploy::types::{
    AlarmConfiguration, AutoRollbackConfiguration, AutoRollbackEvent, ComputePlatform,
    DeploymentOption, DeploymentStyle, DeploymentType, Ec2TagFilter, Ec2TagSet, TriggerConfig,
    TriggerEventType,
};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_round_trip_with_defaults_and_errors() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    let id = cd
        .create_application()
        .application_name("shop")
        .tags(tag("team", "web"))
        .send()
        .await
        .unwrap()
        .application_id()
        .unwrap()
        .to_string();
    assert!(uuid_like(&id), "{id}");
    let e = cd
        .create_application()
        .application_name("shop")
        .send()
        .await;
    assert_eq!(err_code(e), "ApplicationAlreadyExistsException");
    let e = cd.create_application().application_name("").send().await;
    assert_eq!(err_code(e), "ApplicationNameRequiredException");
    let e = cd
        .create_application()
        .application_name("x".repeat(101))
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidApplicationNameException");
    let e = cd
        .create_application()
        .application_name("odd")
        .compute_platform(ComputePlatform::from("Mainframe"))
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidComputePlatformException");
    create_app(&cd, "api").await;
    cd.create_application()
        .application_name("fn")
        .compute_platform(ComputePlatform::Lambda)
        .send()
        .await
        .unwrap();

    let app = cd
        .get_application()
        .application_name("shop")
        .send()
        .await
        .unwrap()
        .application
        .unwrap();
    assert_eq!(app.application_id(), Some(id.as_str()));
    assert_eq!(app.compute_platform(), Some(&ComputePlatform::Server));
    assert!(app.create_time().is_some());
    assert!(!app.linked_to_git_hub());
    let e = cd.get_application().application_name("nope").send().await;
    assert_eq!(err_code(e), "ApplicationDoesNotExistException");

    let listed = cd.list_applications().send().await.unwrap();
    assert_eq!(listed.applications(), ["api", "fn", "shop"]);
    assert!(listed.next_token().is_none());
    let e = cd.list_applications().next_token("zz").send().await;
    assert_eq!(err_code(e), "InvalidNextTokenException");

    let batch = cd
        .batch_get_applications()
        .application_names("shop")
        .application_names("fn")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = batch
        .applications_info()
        .iter()
        .map(|a| a.application_name().unwrap())
        .collect();
    assert_eq!(names, ["shop", "fn"]);
    let e = cd
        .batch_get_applications()
        .application_names("shop")
        .application_names("nope")
        .send()
        .await;
    assert_eq!(err_code(e), "ApplicationDoesNotExistException");
    let e = cd.batch_get_applications().send().await;
    assert_eq!(err_code(e), "ApplicationNameRequiredException");

    // A rename keeps the id, the tags and the groups.
    cd.create_deployment_group()
        .application_name("shop")
        .deployment_group_name("prod")
        .service_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let e = cd
        .update_application()
        .application_name("shop")
        .new_application_name("api")
        .send()
        .await;
    assert_eq!(err_code(e), "ApplicationAlreadyExistsException");
    cd.update_application()
        .application_name("shop")
        .new_application_name("store")
        .send()
        .await
        .unwrap();
    let e = cd.get_application().application_name("shop").send().await;
    assert_eq!(err_code(e), "ApplicationDoesNotExistException");
    let store = cd
        .get_application()
        .application_name("store")
        .send()
        .await
        .unwrap();
    assert_eq!(
        store.application().unwrap().application_id(),
        Some(id.as_str())
    );
    let g = cd
        .get_deployment_group()
        .application_name("store")
        .deployment_group_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.deployment_group_info().unwrap().application_name(),
        Some("store")
    );
    let arn = format!("arn:aws:codedeploy:{REGION}:{ACCOUNT}:application:store");
    let tags = cd
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("team", "web")]);

    // Deleting an application deletes its groups; deleting a missing one is no error.
    cd.delete_application()
        .application_name("store")
        .send()
        .await
        .unwrap();
    cd.delete_application()
        .application_name("store")
        .send()
        .await
        .unwrap();
    create_app(&cd, "store").await;
    let e = cd
        .get_deployment_group()
        .application_name("store")
        .deployment_group_name("prod")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentGroupDoesNotExistException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_groups_round_trip_with_defaults_and_errors() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    create_app(&cd, "shop").await;
    let create = || {
        cd.create_deployment_group()
            .application_name("shop")
            .deployment_group_name("prod")
    };
    assert_eq!(err_code(create().send().await), "RoleRequiredException");
    let e = create().service_role_arn("not-a-role").send().await;
    assert_eq!(err_code(e), "InvalidRoleException");
    let e = cd
        .create_deployment_group()
        .application_name("nope")
        .deployment_group_name("prod")
        .service_role_arn(ROLE)
        .send()
        .await;
    assert_eq!(err_code(e), "ApplicationDoesNotExistException");
    let e = create()
        .service_role_arn(ROLE)
        .deployment_config_name("Missing")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentConfigDoesNotExistException");
    let ec2 = Ec2TagFilter::builder()
        .key("Name")
        .value("web")
        .r#type(aws_sdk_codedeploy::types::Ec2TagFilterType::KeyAndValue)
        .build();
    let e = create()
        .service_role_arn(ROLE)
        .ec2_tag_filters(ec2.clone())
        .ec2_tag_set(
            Ec2TagSet::builder()
                .ec2_tag_set_list(vec![ec2.clone()])
                .build(),
        )
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidEC2TagCombinationException");
    let e = create()
        .service_role_arn(ROLE)
        .auto_rollback_configuration(AutoRollbackConfiguration::builder().enabled(true).build())
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidAutoRollbackConfigException");
    let e = create()
        .service_role_arn(ROLE)
        .deployment_style(
            DeploymentStyle::builder()
                .deployment_type(DeploymentType::InPlace)
                .deployment_option(DeploymentOption::WithTrafficControl)
                .build(),
        )
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidLoadBalancerInfoException");

    let id = create()
        .service_role_arn(ROLE)
        .on_premises_instance_tag_filters(on_premises_filter("env", "prod"))
        .auto_rollback_configuration(
            AutoRollbackConfiguration::builder()
                .enabled(true)
                .events(AutoRollbackEvent::DeploymentFailure)
                .build(),
        )
        .trigger_configurations(
            TriggerConfig::builder()
                .trigger_name("notify")
                .trigger_target_arn("arn:aws:sns:us-east-1:000000000000:deploys")
                .trigger_events(TriggerEventType::DeploymentFailure)
                .build(),
        )
        .tags(tag("tier", "1"))
        .send()
        .await
        .unwrap()
        .deployment_group_id()
        .unwrap()
        .to_string();
    assert!(uuid_like(&id), "{id}");
    assert_eq!(
        err_code(create().service_role_arn(ROLE).send().await),
        "DeploymentGroupAlreadyExistsException"
    );

    let g = cd
        .get_deployment_group()
        .application_name("shop")
        .deployment_group_name("prod")
        .send()
        .await
        .unwrap()
        .deployment_group_info
        .unwrap();
    assert_eq!(g.deployment_group_id(), Some(id.as_str()));
    assert_eq!(
        g.deployment_config_name(),
        Some("CodeDeployDefault.OneAtATime")
    );
    assert_eq!(g.service_role_arn(), Some(ROLE));
    assert_eq!(g.compute_platform(), Some(&ComputePlatform::Server));
    let style = g.deployment_style().unwrap();
    assert_eq!(style.deployment_type(), Some(&DeploymentType::InPlace));
    assert_eq!(
        style.deployment_option(),
        Some(&DeploymentOption::WithoutTrafficControl)
    );
    assert_eq!(
        g.on_premises_instance_tag_filters()[0].value(),
        Some("prod")
    );
    assert!(g.auto_rollback_configuration().unwrap().enabled());
    assert_eq!(g.trigger_configurations()[0].trigger_name(), Some("notify"));
    assert!(!g.alarm_configuration().unwrap().enabled());
    assert!(g.last_attempted_deployment().is_none());

    // Update: partial, and a rename.
    cd.update_deployment_group()
        .application_name("shop")
        .current_deployment_group_name("prod")
        .new_deployment_group_name("live")
        .deployment_config_name("CodeDeployDefault.AllAtOnce")
        .alarm_configuration(
            AlarmConfiguration::builder()
                .enabled(true)
                .alarms(
                    aws_sdk_codedeploy::types::Alarm::builder()
                        .name("errors")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let e = cd
        .get_deployment_group()
        .application_name("shop")
        .deployment_group_name("prod")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentGroupDoesNotExistException");
    let g = cd
        .get_deployment_group()
        .application_name("shop")
        .deployment_group_name("live")
        .send()
        .await
        .unwrap()
        .deployment_group_info
        .unwrap();
    assert_eq!(g.deployment_group_id(), Some(id.as_str()));
    assert_eq!(
        g.deployment_config_name(),
        Some("CodeDeployDefault.AllAtOnce")
    );
    assert_eq!(g.service_role_arn(), Some(ROLE), "untouched members stay");
    assert!(g.alarm_configuration().unwrap().enabled());
    let e = cd
        .update_deployment_group()
        .application_name("shop")
        .current_deployment_group_name("gone")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentGroupDoesNotExistException");

    create().service_role_arn(ROLE).send().await.unwrap();
    let listed = cd
        .list_deployment_groups()
        .application_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.application_name(), Some("shop"));
    assert_eq!(listed.deployment_groups(), ["live", "prod"]);
    let e = cd
        .list_deployment_groups()
        .application_name("nope")
        .send()
        .await;
    assert_eq!(err_code(e), "ApplicationDoesNotExistException");
    let batch = cd
        .batch_get_deployment_groups()
        .application_name("shop")
        .deployment_group_names("live")
        .deployment_group_names("missing")
        .send()
        .await
        .unwrap();
    assert_eq!(batch.deployment_groups_info().len(), 1);
    assert!(batch.error_message().unwrap().contains("missing"));

    let arn = format!("arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:shop/live");
    let tags = cd
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("tier", "1")]);

    let out = cd
        .delete_deployment_group()
        .application_name("shop")
        .deployment_group_name("live")
        .send()
        .await
        .unwrap();
    assert!(out.hooks_not_cleaned_up().is_empty());
    cd.delete_deployment_group()
        .application_name("shop")
        .deployment_group_name("live")
        .send()
        .await
        .unwrap();
    let listed = cd
        .list_deployment_groups()
        .application_name("shop")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.deployment_groups(), ["prod"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_not_built_yet_say_so_and_health_lists_the_service() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    let e = cd
        .list_git_hub_account_token_names()
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnknownOperationException");
    assert!(format!("{:?}", e).contains("GitHub"), "{e:?}");
    let health = common::raw(&server, "GET", "/_simfra/health", &[], b"");
    assert_eq!(health.status, 200);
    let body = health.json();
    assert!(
        body["services"]["codedeploy"]
            .as_str()
            .is_some_and(|s| s.starts_with("running")),
        "{body}"
    );
}

#[test]
fn the_cli_creates_applications_and_reads_predefined_configs() {
    let server = common::start();
    let url = server.url();
    let out = common::cli_json(
        &url,
        &[
            "deploy",
            "create-application",
            "--application-name",
            "cli-app",
        ],
    );
    assert!(
        out["applicationId"].as_str().is_some_and(uuid_like),
        "{out}"
    );
    let out = common::cli_json(
        &url,
        &[
            "deploy",
            "get-deployment-config",
            "--deployment-config-name",
            "CodeDeployDefault.OneAtATime",
        ],
    );
    let info = &out["deploymentConfigInfo"];
    assert_eq!(info["deploymentConfigName"], "CodeDeployDefault.OneAtATime");
    assert_eq!(
        info["deploymentConfigId"],
        "00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(info["minimumHealthyHosts"]["type"], "MOST_CONCURRENCY");
    assert_eq!(info["minimumHealthyHosts"]["value"], 1);
    assert_eq!(info["computePlatform"], "Server");
    let out = common::cli_json(&url, &["deploy", "list-applications"]);
    assert_eq!(out["applications"], serde_json::json!(["cli-app"]));
    let failed = common::cli(
        &url,
        &["deploy", "get-application", "--application-name", "nope"],
    );
    assert!(!failed.status.success());
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("ApplicationDoesNotExistException"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
}
