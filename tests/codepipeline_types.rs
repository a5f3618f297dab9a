//! Action types, custom action types, rule types and webhooks through the official Rust SDK.

mod codepipeline_support;
mod common;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionConfigurationProperty, ActionOwner, ArtifactDetails, RuleOwner,
    WebhookAuthConfiguration, WebhookAuthenticationType, WebhookDefinition, WebhookFilterRule,
};
use codepipeline_support::*;

fn details(min: i32, max: i32) -> ArtifactDetails {
    ArtifactDetails::builder()
        .minimum_count(min)
        .maximum_count(max)
        .build()
}

fn property(name: &str, required: bool, queryable: bool) -> ActionConfigurationProperty {
    ActionConfigurationProperty::builder()
        .name(name)
        .required(required)
        .key(true)
        .secret(false)
        .queryable(queryable)
        .build()
        .unwrap()
}

async fn create_worker_type(cp: &aws_sdk_codepipeline::Client, provider: &str) {
    cp.create_custom_action_type()
        .category(ActionCategory::Build)
        .provider(provider)
        .version("1")
        .configuration_properties(property("Project", true, true))
        .input_artifact_details(details(1, 1))
        .output_artifact_details(details(0, 1))
        .tags(tag("owner", "ci"))
        .send()
        .await
        .unwrap();
}

fn custom_pipeline(
    name: &str,
    provider: &str,
    config: &[(&str, &str)],
) -> aws_sdk_codepipeline::types::PipelineDeclaration {
    let mut p = pipeline(name);
    p.stages[1] = stage(
        "Build",
        vec![action(
            "Work",
            type_id(ActionCategory::Build, ActionOwner::Custom, provider),
            config,
            &["SourceOut"],
            &[],
        )],
    );
    p
}

#[tokio::test]
async fn list_action_types_shows_the_catalogue() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    let all = cp.list_action_types().send().await.unwrap();
    let codebuild = all
        .action_types()
        .iter()
        .find(|t| {
            let id = t.id().unwrap();
            id.provider() == "CodeBuild" && id.category() == &ActionCategory::Build
        })
        .expect("CodeBuild is listed");
    let input = codebuild.input_artifact_details().unwrap();
    assert_eq!((input.minimum_count(), input.maximum_count()), (1, 5));
    let project = codebuild
        .action_configuration_properties()
        .iter()
        .find(|p| p.name() == "ProjectName")
        .unwrap();
    assert!(project.required());
    assert!(all
        .action_types()
        .iter()
        .any(|t| t.id().unwrap().owner() == &ActionOwner::ThirdParty));

    let aws = cp
        .list_action_types()
        .action_owner_filter(ActionOwner::Aws)
        .send()
        .await
        .unwrap();
    assert!(!aws.action_types().is_empty());
    assert!(aws
        .action_types()
        .iter()
        .all(|t| t.id().unwrap().owner() == &ActionOwner::Aws));
    let custom = cp
        .list_action_types()
        .action_owner_filter(ActionOwner::Custom)
        .send()
        .await
        .unwrap();
    assert!(custom.action_types().is_empty());
    let err = cp
        .list_action_types()
        .next_token("bogus")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_next_token_exception());
}

#[tokio::test]
async fn custom_action_type_lifecycle() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    let created = cp
        .create_custom_action_type()
        .category(ActionCategory::Build)
        .provider("Worker")
        .version("1")
        .configuration_properties(property("Project", true, true))
        .input_artifact_details(details(1, 1))
        .output_artifact_details(details(0, 1))
        .tags(tag("owner", "ci"))
        .send()
        .await
        .unwrap();
    let t = created.action_type().unwrap();
    assert_eq!(t.id().unwrap().owner(), &ActionOwner::Custom);
    assert_eq!(created.tags().len(), 1);

    let listed = cp
        .list_action_types()
        .action_owner_filter(ActionOwner::Custom)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.action_types().len(), 1);
    // Custom types are per region: another region's filter does not see it.
    let other = cp
        .list_action_types()
        .action_owner_filter(ActionOwner::Custom)
        .region_filter("eu-west-1")
        .send()
        .await
        .unwrap();
    assert!(other.action_types().is_empty());

    // A pipeline may use it, with its declared configuration.
    cp.create_pipeline()
        .pipeline(custom_pipeline(
            "uses-worker",
            "Worker",
            &[("Project", "p1")],
        ))
        .send()
        .await
        .unwrap();
    let err = cp
        .create_pipeline()
        .pipeline(custom_pipeline("missing-config", "Worker", &[]))
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_invalid_action_declaration_exception());

    // Tags by ARN.
    let arn = "arn:aws:codepipeline:us-east-1:000000000000:actiontype:Custom/Build/Worker/1";
    cp.tag_resource()
        .resource_arn(arn)
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    let tags = cp
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 2);

    // Identical re-creation returns the type; a different one is refused.
    create_worker_type(&cp, "Worker").await;
    let err = cp
        .create_custom_action_type()
        .category(ActionCategory::Build)
        .provider("Worker")
        .version("1")
        .input_artifact_details(details(0, 0))
        .output_artifact_details(details(0, 0))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());

    cp.delete_custom_action_type()
        .category(ActionCategory::Build)
        .provider("Worker")
        .version("1")
        .send()
        .await
        .unwrap();
    // Deleting again succeeds.
    cp.delete_custom_action_type()
        .category(ActionCategory::Build)
        .provider("Worker")
        .version("1")
        .send()
        .await
        .unwrap();
    let listed = cp
        .list_action_types()
        .action_owner_filter(ActionOwner::Custom)
        .send()
        .await
        .unwrap();
    assert!(listed.action_types().is_empty());
    let err = cp
        .create_pipeline()
        .pipeline(custom_pipeline(
            "after-delete",
            "Worker",
            &[("Project", "p1")],
        ))
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_invalid_action_declaration_exception());
    let err = cp
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
    // A deleted version comes back only as it was.
    create_worker_type(&cp, "Worker").await;
    cp.create_pipeline()
        .pipeline(custom_pipeline(
            "after-restore",
            "Worker",
            &[("Project", "p1")],
        ))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn custom_action_type_rules() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    let err = cp
        .create_custom_action_type()
        .category(ActionCategory::Build)
        .provider("Twice")
        .version("1")
        .configuration_properties(property("A", true, true))
        .configuration_properties(property("B", true, true))
        .input_artifact_details(details(0, 1))
        .output_artifact_details(details(0, 1))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());
    let err = cp
        .create_custom_action_type()
        .category(ActionCategory::Build)
        .provider("Bounds")
        .version("1")
        .input_artifact_details(details(3, 1))
        .output_artifact_details(details(0, 6))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());

    for i in 0..50 {
        create_worker_type(&cp, &format!("W{i}")).await;
    }
    let err = cp
        .create_custom_action_type()
        .category(ActionCategory::Build)
        .provider("W50")
        .version("1")
        .input_artifact_details(details(0, 1))
        .output_artifact_details(details(0, 1))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_limit_exceeded_exception());
}

#[tokio::test]
async fn get_and_update_action_type() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    let got = cp
        .get_action_type()
        .category(ActionCategory::Build)
        .owner("AWS")
        .provider("CodeBuild")
        .version("1")
        .send()
        .await
        .unwrap();
    let decl = got.action_type().unwrap();
    assert_eq!(decl.id().unwrap().provider(), "CodeBuild");
    assert!(decl
        .properties()
        .iter()
        .any(|p| p.name() == "ProjectName" && !p.optional()));

    let err = cp
        .get_action_type()
        .category(ActionCategory::Build)
        .owner("Custom")
        .provider("CodeBuild")
        .version("1")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());
    let err = cp
        .get_action_type()
        .category(ActionCategory::Build)
        .owner("ThirdParty")
        .provider("Nothing")
        .version("1")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_action_type_not_found_exception());

    // AWS-owned types cannot be changed.
    let err = cp
        .update_action_type()
        .action_type(decl.clone())
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_request_failed_exception());

    // A ThirdParty type can; GetActionType then shows the new declaration.
    let github = cp
        .get_action_type()
        .category(ActionCategory::Source)
        .owner("ThirdParty")
        .provider("GitHub")
        .version("1")
        .send()
        .await
        .unwrap();
    let mut changed = github.action_type().unwrap().clone();
    changed.description = Some("GitHub, as this account describes it".into());
    cp.update_action_type()
        .action_type(changed)
        .send()
        .await
        .unwrap();
    let again = cp
        .get_action_type()
        .category(ActionCategory::Source)
        .owner("ThirdParty")
        .provider("GitHub")
        .version("1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.action_type().unwrap().description(),
        Some("GitHub, as this account describes it")
    );
    let mut unknown = github.action_type().unwrap().clone();
    unknown.id.as_mut().unwrap().provider = "Unknown".into();
    let err = cp
        .update_action_type()
        .action_type(unknown)
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_action_type_not_found_exception());
}

#[tokio::test]
async fn list_rule_types() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    let out = cp
        .list_rule_types()
        .rule_owner_filter(RuleOwner::Aws)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = out
        .rule_types()
        .iter()
        .map(|r| r.id().unwrap().provider())
        .collect();
    for expected in [
        "VariableCheck",
        "DeploymentWindow",
        "LambdaInvoke",
        "CloudWatchAlarm",
        "Commands",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
}

fn webhook(name: &str, pipeline: &str, auth: WebhookAuthenticationType) -> WebhookDefinition {
    WebhookDefinition::builder()
        .name(name)
        .target_pipeline(pipeline)
        .target_action("Src")
        .filters(
            WebhookFilterRule::builder()
                .json_path("$.ref")
                .match_equals("refs/heads/{BranchName}")
                .build()
                .unwrap(),
        )
        .authentication(auth)
        .authentication_configuration(
            WebhookAuthConfiguration::builder()
                .secret_token("s3cret")
                .build(),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn webhooks() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    cp.create_pipeline()
        .pipeline(pipeline("hooked"))
        .send()
        .await
        .unwrap();
    let put = cp
        .put_webhook()
        .webhook(webhook(
            "gh",
            "hooked",
            WebhookAuthenticationType::GithubHmac,
        ))
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap();
    let item = put.webhook().unwrap();
    let url = item.url().to_string();
    assert!(
        url.starts_with(&format!("http://{}/_simfra/webhooks/", server.addr)),
        "{url}"
    );
    assert_eq!(
        item.arn(),
        Some("arn:aws:codepipeline:us-east-1:000000000000:webhook:gh")
    );
    let token = item
        .definition()
        .unwrap()
        .authentication_configuration()
        .unwrap()
        .secret_token();
    assert_eq!(token, Some("****"), "the secret is redacted");

    // Putting it again updates it in place: same URL.
    let again = cp
        .put_webhook()
        .webhook(webhook(
            "gh",
            "hooked",
            WebhookAuthenticationType::Unauthenticated,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.webhook().unwrap().url(), url);

    let listed = cp.list_webhooks().send().await.unwrap();
    assert_eq!(listed.webhooks().len(), 1);
    assert_eq!(listed.webhooks()[0].tags().len(), 1);

    cp.register_webhook_with_third_party()
        .webhook_name("gh")
        .send()
        .await
        .unwrap();
    cp.deregister_webhook_with_third_party()
        .webhook_name("gh")
        .send()
        .await
        .unwrap();
    let err = cp
        .register_webhook_with_third_party()
        .webhook_name("none")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_webhook_not_found_exception());
    let err = cp
        .deregister_webhook_with_third_party()
        .webhook_name("none")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_webhook_not_found_exception());

    let arn = "arn:aws:codepipeline:us-east-1:000000000000:webhook:gh";
    cp.tag_resource()
        .resource_arn(arn)
        .tags(tag("c", "d"))
        .send()
        .await
        .unwrap();
    let tags = cp
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 2);

    cp.delete_webhook().name("gh").send().await.unwrap();
    cp.delete_webhook().name("gh").send().await.unwrap();
    assert!(cp
        .list_webhooks()
        .send()
        .await
        .unwrap()
        .webhooks()
        .is_empty());
    // Re-created: a new URL.
    let recreated = cp
        .put_webhook()
        .webhook(webhook(
            "gh",
            "hooked",
            WebhookAuthenticationType::GithubHmac,
        ))
        .send()
        .await
        .unwrap();
    assert_ne!(recreated.webhook().unwrap().url(), url);
}

#[tokio::test]
async fn webhook_errors() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    cp.create_pipeline()
        .pipeline(pipeline("hooked"))
        .send()
        .await
        .unwrap();
    let err = cp
        .put_webhook()
        .webhook(webhook(
            "w",
            "absent",
            WebhookAuthenticationType::GithubHmac,
        ))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_pipeline_not_found_exception());

    let mut ip = webhook("w", "hooked", WebhookAuthenticationType::Ip);
    ip.authentication_configuration = Some(
        WebhookAuthConfiguration::builder()
            .allowed_ip_range("not-a-cidr")
            .build(),
    );
    let err = cp.put_webhook().webhook(ip).send().await.unwrap_err();
    assert!(err
        .into_service_error()
        .is_invalid_webhook_authentication_parameters_exception());

    let mut bad_filter = webhook("w", "hooked", WebhookAuthenticationType::GithubHmac);
    bad_filter.filters = vec![WebhookFilterRule::builder()
        .json_path("$.ref")
        .match_equals("refs/heads/{NoSuchKey}")
        .build()
        .unwrap()];
    let err = cp
        .put_webhook()
        .webhook(bad_filter)
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_invalid_webhook_filter_pattern_exception());

    let err = cp
        .list_webhooks()
        .next_token("%%")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_next_token_exception());

    // Paging.
    for name in ["a", "b", "c"] {
        cp.put_webhook()
            .webhook(webhook(
                name,
                "hooked",
                WebhookAuthenticationType::Unauthenticated,
            ))
            .send()
            .await
            .unwrap();
    }
    let page = cp.list_webhooks().max_results(2).send().await.unwrap();
    assert_eq!(page.webhooks().len(), 2);
    let rest = cp
        .list_webhooks()
        .max_results(2)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.webhooks().len(), 1);
    assert!(rest.next_token().is_none());
}
