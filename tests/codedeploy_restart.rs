//! CodeDeploy's state and the server's life (the real binary with `SIMFRA_DATA_DIR`):
//! applications, deployment groups, custom configurations, on-premises instances, revisions,
//! tags and deployments written before a `kill -9` are all there after the restart, and new
//! deployments are still listed newest first.

mod common;

use aws_sdk_codedeploy::types::{
    BundleType, MinimumHealthyHosts, MinimumHealthyHostsType, RegistrationStatus, RevisionLocation,
    RevisionLocationType, S3Location, Tag, TagFilter, TagFilterType,
};
use aws_sdk_codedeploy::Client;
use common::process::Simfra;

const ROLE: &str = "arn:aws:iam::000000000000:role/codedeploy";

fn client(s: &Simfra) -> Client {
    Client::new(&common::sdk_config(&s.url()))
}

fn zip(key: &str) -> RevisionLocation {
    RevisionLocation::builder()
        .revision_type(RevisionLocationType::S3)
        .s3_location(
            S3Location::builder()
                .bucket("artifacts")
                .key(key)
                .bundle_type(BundleType::Zip)
                .build(),
        )
        .build()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

async fn deploy(cd: &Client, key: &str) -> String {
    cd.create_deployment()
        .application_name("shop")
        .deployment_group_name("prod")
        .revision(zip(key))
        .description(format!("release {key}"))
        .send()
        .await
        .unwrap()
        .deployment_id()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_written_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = Simfra::start(dir.path());
    let cd = client(&server);
    let app_id = cd
        .create_application()
        .application_name("shop")
        .tags(tag("team", "web"))
        .send()
        .await
        .unwrap()
        .application_id()
        .unwrap()
        .to_string();
    cd.create_deployment_config()
        .deployment_config_name("Quarter")
        .minimum_healthy_hosts(
            MinimumHealthyHosts::builder()
                .r#type(MinimumHealthyHostsType::FleetPercent)
                .value(25)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let group_id = cd
        .create_deployment_group()
        .application_name("shop")
        .deployment_group_name("prod")
        .service_role_arn(ROLE)
        .deployment_config_name("Quarter")
        .on_premises_instance_tag_filters(
            TagFilter::builder()
                .key("env")
                .value("prod")
                .r#type(TagFilterType::KeyAndValue)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .deployment_group_id()
        .unwrap()
        .to_string();
    cd.register_on_premises_instance()
        .instance_name("web-1")
        .iam_user_arn("arn:aws:iam::000000000000:user/web-1")
        .send()
        .await
        .unwrap();
    cd.add_tags_to_on_premises_instances()
        .instance_names("web-1")
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    cd.register_on_premises_instance()
        .instance_name("old-1")
        .iam_user_arn("arn:aws:iam::000000000000:user/old-1")
        .send()
        .await
        .unwrap();
    cd.deregister_on_premises_instance()
        .instance_name("old-1")
        .send()
        .await
        .unwrap();
    let first = deploy(&cd, "v1.zip").await;
    server.kill_9();

    let server = Simfra::start(dir.path());
    let cd = client(&server);
    let app = cd
        .get_application()
        .application_name("shop")
        .send()
        .await
        .unwrap()
        .application
        .unwrap();
    assert_eq!(app.application_id(), Some(app_id.as_str()));
    let arn = "arn:aws:codedeploy:us-east-1:000000000000:application:shop";
    let tags = cd
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags(), [tag("team", "web")]);
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
    assert_eq!(g.deployment_config_name(), Some("Quarter"));
    assert_eq!(g.on_premises_instance_tag_filters()[0].key(), Some("env"));
    assert!(g.target_revision().is_some());
    assert!(g.last_attempted_deployment().is_some());
    let config = cd
        .get_deployment_config()
        .deployment_config_name("Quarter")
        .send()
        .await
        .unwrap()
        .deployment_config_info
        .unwrap();
    assert_eq!(config.minimum_healthy_hosts().unwrap().value(), 25);
    let web = cd
        .get_on_premises_instance()
        .instance_name("web-1")
        .send()
        .await
        .unwrap()
        .instance_info
        .unwrap();
    assert_eq!(web.tags(), [tag("env", "prod")]);
    let gone = cd
        .list_on_premises_instances()
        .registration_status(RegistrationStatus::Deregistered)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.instance_names(), ["old-1"]);
    let d = cd
        .get_deployment()
        .deployment_id(&first)
        .send()
        .await
        .unwrap()
        .deployment_info
        .unwrap();
    assert_eq!(d.description(), Some("release v1.zip"));
    assert_eq!(d.deployment_group_name(), Some("prod"));
    assert_eq!(d.deployment_config_name(), Some("Quarter"));
    assert_eq!(
        d.revision().unwrap().s3_location().unwrap().key(),
        Some("v1.zip")
    );
    let rev = cd
        .get_application_revision()
        .application_name("shop")
        .revision(zip("v1.zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(rev.revision_info().unwrap().deployment_groups(), ["prod"]);

    let second = deploy(&cd, "v2.zip").await;
    let listed = cd
        .list_deployments()
        .application_name("shop")
        .deployment_group_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.deployments(), [second, first]);
}
