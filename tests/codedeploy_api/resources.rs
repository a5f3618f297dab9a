//! Deployment configurations (predefined and custom), on-premises instances, application
//! revisions and resource tags through the SDK, with their errors.

use aws_sdk_codedeploy::types::*;

use crate::common;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_configs_predefined_and_custom() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    let one = cd
        .get_deployment_config()
        .deployment_config_name("CodeDeployDefault.OneAtATime")
        .send()
        .await
        .unwrap()
        .deployment_config_info
        .unwrap();
    assert_eq!(one.compute_platform(), Some(&ComputePlatform::Server));
    let hosts = one.minimum_healthy_hosts().unwrap();
    assert_eq!(hosts.r#type().unwrap().as_str(), "MOST_CONCURRENCY");
    assert_eq!(hosts.value(), 1);
    let half = cd
        .get_deployment_config()
        .deployment_config_name("CodeDeployDefault.HalfAtATime")
        .send()
        .await
        .unwrap()
        .deployment_config_info
        .unwrap();
    assert_eq!(
        half.minimum_healthy_hosts().unwrap().r#type(),
        Some(&MinimumHealthyHostsType::FleetPercent)
    );

    let create = |name: &str| cd.create_deployment_config().deployment_config_name(name);
    let e = create("NoHosts").send().await;
    assert_eq!(err_code(e), "InvalidMinimumHealthyHostValueException");
    let e = create("CodeDeployDefault.OneAtATime")
        .minimum_healthy_hosts(percent(50))
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentConfigAlreadyExistsException");
    let e = create("Too")
        .minimum_healthy_hosts(percent(101))
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidMinimumHealthyHostValueException");
    let id = create("ThreeQuartersHealthy")
        .minimum_healthy_hosts(percent(75))
        .send()
        .await
        .unwrap()
        .deployment_config_id()
        .unwrap()
        .to_string();
    assert!(uuid_like(&id));
    let e = create("ThreeQuartersHealthy")
        .minimum_healthy_hosts(percent(75))
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentConfigAlreadyExistsException");
    let canary = TrafficRoutingConfig::builder()
        .r#type(TrafficRoutingType::TimeBasedCanary)
        .time_based_canary(
            TimeBasedCanary::builder()
                .canary_percentage(20)
                .canary_interval(5)
                .build(),
        )
        .build();
    create("Canary20")
        .compute_platform(ComputePlatform::Lambda)
        .traffic_routing_config(canary)
        .send()
        .await
        .unwrap();
    let got = cd
        .get_deployment_config()
        .deployment_config_name("ThreeQuartersHealthy")
        .send()
        .await
        .unwrap()
        .deployment_config_info
        .unwrap();
    assert_eq!(got.deployment_config_id(), Some(id.as_str()));
    assert_eq!(got.minimum_healthy_hosts().unwrap().value(), 75);
    assert!(got.create_time().is_some());

    let listed = cd.list_deployment_configs().send().await.unwrap();
    let names = listed.deployment_configs_list();
    assert_eq!(&names[..2], ["Canary20", "ThreeQuartersHealthy"]);
    for builtin in [
        "CodeDeployDefault.OneAtATime",
        "CodeDeployDefault.HalfAtATime",
        "CodeDeployDefault.AllAtOnce",
        "CodeDeployDefault.LambdaAllAtOnce",
        "CodeDeployDefault.ECSAllAtOnce",
    ] {
        assert!(names.iter().any(|n| n == builtin), "{builtin} in {names:?}");
    }

    // In use by a group: not deletable; predefined: never.
    create_app(&cd, "shop").await;
    cd.create_deployment_group()
        .application_name("shop")
        .deployment_group_name("prod")
        .service_role_arn(ROLE)
        .deployment_config_name("ThreeQuartersHealthy")
        .send()
        .await
        .unwrap();
    let e = cd
        .create_deployment_group()
        .application_name("shop")
        .deployment_group_name("fn")
        .service_role_arn(ROLE)
        .deployment_config_name("Canary20")
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidDeploymentConfigNameException");
    let delete = |name: &str| {
        cd.delete_deployment_config()
            .deployment_config_name(name)
            .send()
    };
    assert_eq!(
        err_code(delete("ThreeQuartersHealthy").await),
        "DeploymentConfigInUseException"
    );
    assert_eq!(
        err_code(delete("CodeDeployDefault.AllAtOnce").await),
        "InvalidOperationException"
    );
    cd.delete_deployment_group()
        .application_name("shop")
        .deployment_group_name("prod")
        .send()
        .await
        .unwrap();
    delete("ThreeQuartersHealthy").await.unwrap();
    let e = cd
        .get_deployment_config()
        .deployment_config_name("ThreeQuartersHealthy")
        .send()
        .await;
    assert_eq!(err_code(e), "DeploymentConfigDoesNotExistException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_premises_instances_register_tag_and_deregister() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    let user = |n: &str| format!("arn:aws:iam::{ACCOUNT}:user/{n}");
    let register = |name: &str| cd.register_on_premises_instance().instance_name(name);
    register("web-1")
        .iam_user_arn(user("web-1"))
        .send()
        .await
        .unwrap();
    register("web-2")
        .iam_session_arn(format!("arn:aws:sts::{ACCOUNT}:assumed-role/onprem/web-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        err_code(register("web-3").send().await),
        "IamArnRequiredException"
    );
    let e = register("web-3")
        .iam_user_arn(user("x"))
        .iam_session_arn(format!("arn:aws:sts::{ACCOUNT}:assumed-role/r/s"))
        .send()
        .await;
    assert_eq!(err_code(e), "MultipleIamArnsProvidedException");
    let e = register("web-1").iam_user_arn(user("other")).send().await;
    assert_eq!(err_code(e), "InstanceNameAlreadyRegisteredException");
    let e = register("web-3").iam_user_arn(user("web-1")).send().await;
    assert_eq!(err_code(e), "IamUserArnAlreadyRegisteredException");
    let e = register("web-3").iam_user_arn("bad").send().await;
    assert_eq!(err_code(e), "InvalidIamUserArnException");
    let e = register("has space").iam_user_arn(user("s")).send().await;
    assert_eq!(err_code(e), "InvalidInstanceNameException");

    cd.add_tags_to_on_premises_instances()
        .instance_names("web-1")
        .instance_names("web-2")
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    cd.add_tags_to_on_premises_instances()
        .instance_names("web-2")
        .tags(tag("env", "test"))
        .send()
        .await
        .unwrap();
    let e = cd
        .add_tags_to_on_premises_instances()
        .instance_names("web-1")
        .send()
        .await;
    assert_eq!(err_code(e), "TagRequiredException");
    let e = cd
        .add_tags_to_on_premises_instances()
        .instance_names("nope")
        .tags(tag("a", "b"))
        .send()
        .await;
    assert_eq!(err_code(e), "InstanceNotRegisteredException");
    let prod = cd
        .list_on_premises_instances()
        .tag_filters(on_premises_filter("env", "prod"))
        .send()
        .await
        .unwrap();
    assert_eq!(prod.instance_names(), ["web-1"]);

    let info = cd
        .get_on_premises_instance()
        .instance_name("web-1")
        .send()
        .await
        .unwrap()
        .instance_info
        .unwrap();
    assert_eq!(info.iam_user_arn(), Some(user("web-1").as_str()));
    assert_eq!(
        info.instance_arn(),
        Some(format!("arn:aws:codedeploy:{REGION}:{ACCOUNT}:instance/web-1").as_str())
    );
    assert!(info.register_time().is_some());
    assert!(info.deregister_time().is_none());
    assert_eq!(info.tags(), [tag("env", "prod")]);
    let e = cd
        .get_on_premises_instance()
        .instance_name("nope")
        .send()
        .await;
    assert_eq!(err_code(e), "InstanceNotRegisteredException");

    cd.remove_tags_from_on_premises_instances()
        .instance_names("web-1")
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let batch = cd
        .batch_get_on_premises_instances()
        .instance_names("web-1")
        .instance_names("web-2")
        .instance_names("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(batch.instance_infos().len(), 2);
    assert!(batch.instance_infos()[0].tags().is_empty());
    assert_eq!(batch.instance_infos()[1].tags(), [tag("env", "test")]);

    cd.deregister_on_premises_instance()
        .instance_name("web-1")
        .send()
        .await
        .unwrap();
    let info = cd
        .get_on_premises_instance()
        .instance_name("web-1")
        .send()
        .await
        .unwrap()
        .instance_info
        .unwrap();
    assert!(
        info.deregister_time().is_some(),
        "kept, with its deregisterTime"
    );
    let by_status = |s: RegistrationStatus| {
        cd.list_on_premises_instances()
            .registration_status(s)
            .send()
    };
    let gone = by_status(RegistrationStatus::Deregistered).await.unwrap();
    assert_eq!(gone.instance_names(), ["web-1"]);
    let live = by_status(RegistrationStatus::Registered).await.unwrap();
    assert_eq!(live.instance_names(), ["web-2"]);
    let all = cd.list_on_premises_instances().send().await.unwrap();
    assert_eq!(all.instance_names(), ["web-1", "web-2"]);
    let e = cd
        .add_tags_to_on_premises_instances()
        .instance_names("web-1")
        .tags(tag("a", "b"))
        .send()
        .await;
    assert_eq!(err_code(e), "InstanceNotRegisteredException");
    let e = by_status(RegistrationStatus::from("Sleeping")).await;
    assert_eq!(err_code(e), "InvalidRegistrationStatusException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_register_get_list_and_batch_get() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    create_app(&cd, "shop").await;
    let v1 = s3_revision("artifacts", "shop/v1.zip", BundleType::Zip);
    let v2 = s3_revision("artifacts", "shop/v2.tgz", BundleType::TarGZip);
    for (r, d) in [(&v1, "first"), (&v2, "second")] {
        cd.register_application_revision()
            .application_name("shop")
            .revision(r.clone())
            .description(d)
            .send()
            .await
            .unwrap();
    }
    let e = cd
        .register_application_revision()
        .application_name("shop")
        .send()
        .await;
    assert_eq!(err_code(e), "RevisionRequiredException");
    let e = cd
        .register_application_revision()
        .application_name("shop")
        .revision(s3_revision("artifacts", "", BundleType::Zip))
        .send()
        .await;
    assert_eq!(err_code(e), "InvalidRevisionException");
    let e = cd
        .register_application_revision()
        .application_name("nope")
        .revision(v1.clone())
        .send()
        .await;
    assert_eq!(err_code(e), "ApplicationDoesNotExistException");

    let got = cd
        .get_application_revision()
        .application_name("shop")
        .revision(v1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(got.application_name(), Some("shop"));
    let info = got.revision_info().unwrap();
    assert_eq!(info.description(), Some("first"));
    assert!(info.register_time().is_some());
    assert!(info.first_used_time().is_none());
    let e = cd
        .get_application_revision()
        .application_name("shop")
        .revision(s3_revision("artifacts", "none.zip", BundleType::Zip))
        .send()
        .await;
    assert_eq!(err_code(e), "RevisionDoesNotExistException");

    let listed = cd
        .list_application_revisions()
        .application_name("shop")
        .sort_by(aws_sdk_codedeploy::types::ApplicationRevisionSortBy::RegisterTime)
        .sort_order(aws_sdk_codedeploy::types::SortOrder::Descending)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.revisions(), [v2.clone(), v1.clone()]);
    let prefixed = cd
        .list_application_revisions()
        .application_name("shop")
        .s3_bucket("artifacts")
        .s3_key_prefix("shop/v1")
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.revisions(), std::slice::from_ref(&v1));
    let e = cd
        .list_application_revisions()
        .application_name("shop")
        .s3_key_prefix("shop/")
        .send()
        .await;
    assert_eq!(err_code(e), "BucketNameFilterRequiredException");

    let batch = cd
        .batch_get_application_revisions()
        .application_name("shop")
        .revisions(v1.clone())
        .revisions(s3_revision("artifacts", "none.zip", BundleType::Zip))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.revisions().len(), 1);
    assert_eq!(batch.revisions()[0].revision_location(), Some(&v1));
    assert!(batch.error_message().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_tags_by_arn() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    create_app_and_group(&cd, "shop").await;
    cd.create_deployment_config()
        .deployment_config_name("Quarter")
        .minimum_healthy_hosts(percent(25))
        .send()
        .await
        .unwrap();
    let arn = |rest: &str| format!("arn:aws:codedeploy:{REGION}:{ACCOUNT}:{rest}");
    for resource in [
        "application:shop",
        "deploymentgroup:shop/prod",
        "deploymentconfig:Quarter",
    ] {
        cd.tag_resource()
            .resource_arn(arn(resource))
            .tags(tag("owner", "me"))
            .tags(tag("cost", "1"))
            .send()
            .await
            .unwrap();
        cd.tag_resource()
            .resource_arn(arn(resource))
            .tags(tag("cost", "2"))
            .send()
            .await
            .unwrap();
        cd.untag_resource()
            .resource_arn(arn(resource))
            .tag_keys("owner")
            .send()
            .await
            .unwrap();
        let tags = cd
            .list_tags_for_resource()
            .resource_arn(arn(resource))
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tags(), [tag("cost", "2")], "{resource}");
    }
    let tag_one = |a: String| cd.tag_resource().resource_arn(a).tags(tag("k", "v")).send();
    assert_eq!(
        err_code(tag_one("nope".into()).await),
        "InvalidArnException"
    );
    assert_eq!(
        err_code(tag_one("arn:aws:s3:::bucket".into()).await),
        "ArnNotSupportedException"
    );
    assert_eq!(
        err_code(tag_one(arn("application:none")).await),
        "ApplicationDoesNotExistException"
    );
    assert_eq!(
        err_code(tag_one(arn("deploymentgroup:shop/none")).await),
        "DeploymentGroupDoesNotExistException"
    );
    assert_eq!(
        err_code(tag_one(arn("deploymentconfig:None")).await),
        "DeploymentConfigDoesNotExistException"
    );
    let e = cd
        .tag_resource()
        .resource_arn(arn("application:shop"))
        .send()
        .await;
    assert_eq!(err_code(e), "TagRequiredException");
    let e = cd.list_tags_for_resource().resource_arn("").send().await;
    assert_eq!(err_code(e), "ResourceArnRequiredException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_operations_page_by_one_hundred() {
    let server = common::start();
    let cd = common::codedeploy(&server);
    for i in 0..105 {
        create_app(&cd, &format!("app-{i:03}")).await;
    }
    let first = cd.list_applications().send().await.unwrap();
    assert_eq!(first.applications().len(), 100);
    let token = first.next_token().expect("a second page").to_string();
    let second = cd
        .list_applications()
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.applications(),
        ["app-100", "app-101", "app-102", "app-103", "app-104"]
    );
    assert!(second.next_token().is_none());
    let configs = cd.list_deployment_configs().send().await.unwrap();
    assert!(
        configs.next_token().is_none(),
        "17 predefined configurations fit one page"
    );
}
