//! Persistence: the real binary with `SIMFRA_DATA_DIR`, killed with SIGKILL, started again on
//! the same directory: every acknowledged write is there, pipeline versions included.

mod codepipeline_support;
mod common;

use common::process::Simfra;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, ArtifactDetails, WebhookAuthConfiguration,
    WebhookAuthenticationType, WebhookDefinition, WebhookFilterRule,
};
use codepipeline_support::*;

fn client(url: &str) -> aws_sdk_codepipeline::Client {
    aws_sdk_codepipeline::Client::new(&common::sdk_config(url))
}

#[tokio::test]
async fn state_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();

    let first = Simfra::start(dir.path());
    let cp = client(&first.url());
    cp.create_pipeline()
        .pipeline(pipeline_with("durable", "build-one"))
        .tags(tag("team", "shop"))
        .send()
        .await
        .unwrap();
    cp.update_pipeline()
        .pipeline(pipeline_with("durable", "build-two"))
        .send()
        .await
        .unwrap();
    cp.tag_resource()
        .resource_arn("arn:aws:codepipeline:us-east-1:000000000000:durable")
        .tags(tag("env", "dev"))
        .send()
        .await
        .unwrap();
    cp.create_pipeline()
        .pipeline(pipeline("short-lived"))
        .send()
        .await
        .unwrap();
    cp.delete_pipeline()
        .name("short-lived")
        .send()
        .await
        .unwrap();
    cp.create_custom_action_type()
        .category(ActionCategory::Deploy)
        .provider("Rollout")
        .version("3")
        .input_artifact_details(
            ArtifactDetails::builder()
                .minimum_count(1)
                .maximum_count(1)
                .build(),
        )
        .output_artifact_details(
            ArtifactDetails::builder()
                .minimum_count(0)
                .maximum_count(0)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let hook = cp
        .put_webhook()
        .webhook(
            WebhookDefinition::builder()
                .name("gh")
                .target_pipeline("durable")
                .target_action("Src")
                .filters(
                    WebhookFilterRule::builder()
                        .json_path("$.ref")
                        .build()
                        .unwrap(),
                )
                .authentication(WebhookAuthenticationType::Unauthenticated)
                .authentication_configuration(WebhookAuthConfiguration::builder().build())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let hook_url = hook.webhook().unwrap().url().to_string();
    first.kill_9();

    let second = Simfra::start(dir.path());
    let cp = client(&second.url());
    let latest = cp.get_pipeline().name("durable").send().await.unwrap();
    let p = latest.pipeline().unwrap();
    assert_eq!(p.version(), Some(2));
    assert_eq!(
        p.stages()[1].actions()[0].configuration().unwrap()["ProjectName"],
        "build-two"
    );
    let v1 = cp
        .get_pipeline()
        .name("durable")
        .version(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        v1.pipeline().unwrap().stages()[1].actions()[0]
            .configuration()
            .unwrap()["ProjectName"],
        "build-one"
    );
    let meta = latest.metadata().unwrap();
    assert!(meta.updated().unwrap().as_secs_f64() >= meta.created().unwrap().as_secs_f64());

    let tags = cp
        .list_tags_for_resource()
        .resource_arn("arn:aws:codepipeline:us-east-1:000000000000:durable")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = tags.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["team", "env"]);

    let err = cp
        .get_pipeline()
        .name("short-lived")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_pipeline_not_found_exception());

    let custom = cp
        .list_action_types()
        .action_owner_filter(ActionOwner::Custom)
        .send()
        .await
        .unwrap();
    assert_eq!(custom.action_types().len(), 1);
    assert_eq!(custom.action_types()[0].id().unwrap().provider(), "Rollout");

    let hooks = cp.list_webhooks().send().await.unwrap();
    assert_eq!(hooks.webhooks().len(), 1);
    assert_eq!(hooks.webhooks()[0].url(), hook_url);

    // And it keeps working: the next update is version 3.
    let v3 = cp
        .update_pipeline()
        .pipeline(pipeline_with("durable", "build-three"))
        .send()
        .await
        .unwrap();
    assert_eq!(v3.pipeline().unwrap().version(), Some(3));
    second.kill_9();
}
