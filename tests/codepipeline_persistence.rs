//! Persistence: the real binary with `SIMFRA_DATA_DIR`, killed with SIGKILL, started again on
//! the same directory: every acknowledged write is there, pipeline versions included; while the
//! engine's progress cannot be written, answers fail instead of telling what is not on disk.

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

/// A client with retries off: each call is one request.
fn client_once(url: &str) -> aws_sdk_codepipeline::Client {
    let config = aws_sdk_codepipeline::config::Builder::from(&common::sdk_config(url))
        .retry_config(aws_sdk_codepipeline::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_codepipeline::Client::from_conf(config)
}

#[tokio::test]
async fn answers_fail_while_engine_progress_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let first = Simfra::start(dir.path());
    let cp = client_once(&first.url());
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&common::sdk_config(&first.url()))
            .force_path_style(true)
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
            .build(),
    );

    // The disk refuses the engine's execution records (as a full disk would), through a
    // trigger in simfra's database.
    let side = rusqlite::Connection::open(dir.path().join("simfra.db")).unwrap();
    side.execute_batch(
        "CREATE TRIGGER refuse_insert BEFORE INSERT ON records
           WHEN NEW.tbl = 'codepipeline.executions'
           BEGIN SELECT RAISE(ABORT, 'no space left on device'); END;
         CREATE TRIGGER refuse_update BEFORE UPDATE ON records
           WHEN NEW.tbl = 'codepipeline.executions'
           BEGIN SELECT RAISE(ABORT, 'no space left on device'); END;",
    )
    .unwrap();

    // CreatePipeline starts an execution, whose record cannot be written: the answer is a
    // server fault, not a success the disk does not back.
    let err = cp
        .create_pipeline()
        .pipeline(pipeline_with("held", "build"))
        .send()
        .await
        .unwrap_err();
    let raw = err.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 500);
    let err = err.into_service_error();
    assert_eq!(err.meta().code(), Some("InternalFailure"));
    assert!(
        err.meta()
            .message()
            .unwrap()
            .contains("no space left on device"),
        "{err:?}"
    );
    // Every answer fails meanwhile, in its own protocol (S3: an XML InternalError).
    let err = cp.list_pipelines().send().await.unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("InternalFailure")
    );
    let err = s3.list_buckets().send().await.unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("InternalError")
    );

    // The disk recovers: the held record is written, and answers succeed again.
    side.execute_batch("DROP TRIGGER refuse_insert; DROP TRIGGER refuse_update;")
        .unwrap();
    let listed = cp
        .list_pipeline_executions()
        .pipeline_name("held")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.pipeline_execution_summaries().len(), 1);
    let id = listed.pipeline_execution_summaries()[0]
        .pipeline_execution_id()
        .unwrap()
        .to_string();
    drop(side);
    first.kill_9();

    // Nothing was lost.
    let second = Simfra::start(dir.path());
    let cp = client_once(&second.url());
    let again = cp
        .get_pipeline_execution()
        .pipeline_name("held")
        .pipeline_execution_id(&id)
        .send()
        .await
        .unwrap();
    assert!(again.pipeline_execution().is_some());
    second.kill_9();
}
