//! CodePipeline pipelines and tags through the official Rust SDK against the in-process
//! server: every operation's happy path and its declared errors.

mod codepipeline_support;
mod common;

use aws_sdk_codepipeline::types::{ExecutionMode, PipelineType};
use aws_types::region::Region;
use codepipeline_support::*;

const ARN_PREFIX: &str = "arn:aws:codepipeline:us-east-1:000000000000:";

#[tokio::test]
async fn create_get_update_delete() {
    let server = common::start();
    let cp = common::codepipeline(&server);

    let out = cp
        .create_pipeline()
        .pipeline(pipeline("orders"))
        .tags(tag("team", "shop"))
        .send()
        .await
        .unwrap();
    let p = out.pipeline().unwrap();
    assert_eq!(p.version(), Some(1));
    assert_eq!(p.execution_mode(), Some(&ExecutionMode::Superseded));
    assert_eq!(p.pipeline_type(), Some(&PipelineType::V1));
    assert_eq!(p.stages()[1].actions()[0].run_order(), Some(1));
    assert_eq!(out.tags().len(), 1);

    let got = cp.get_pipeline().name("orders").send().await.unwrap();
    let meta = got.metadata().unwrap();
    assert_eq!(meta.pipeline_arn(), Some(&*format!("{ARN_PREFIX}orders")));
    let created = meta.created().unwrap().as_secs_f64();
    assert!(created > 1.7e9, "created is epoch seconds: {created}");
    assert_eq!(got.pipeline().unwrap(), p);

    // A full new declaration: version 2, the caller's version ignored.
    let mut next = pipeline_with("orders", "app-build-v2");
    next.version = Some(41);
    let updated = cp.update_pipeline().pipeline(next).send().await.unwrap();
    assert_eq!(updated.pipeline().unwrap().version(), Some(2));

    let latest = cp.get_pipeline().name("orders").send().await.unwrap();
    assert_eq!(latest.pipeline().unwrap().version(), Some(2));
    let meta2 = latest.metadata().unwrap();
    assert!(meta2.updated().unwrap().as_secs_f64() >= created);
    let project = |p: &aws_sdk_codepipeline::types::PipelineDeclaration| {
        p.stages()[1].actions()[0].configuration().unwrap()["ProjectName"].clone()
    };
    assert_eq!(project(latest.pipeline().unwrap()), "app-build-v2");
    let v1 = cp
        .get_pipeline()
        .name("orders")
        .version(1)
        .send()
        .await
        .unwrap();
    assert_eq!(project(v1.pipeline().unwrap()), "app-build");
    let err = cp
        .get_pipeline()
        .name("orders")
        .version(3)
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_pipeline_version_not_found_exception());

    cp.delete_pipeline().name("orders").send().await.unwrap();
    let err = cp.get_pipeline().name("orders").send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_pipeline_not_found_exception());
    assert_eq!(
        aws_sdk_codepipeline::error::ProvideErrorMetadata::message(&err),
        Some("Account '000000000000' does not have a pipeline with name 'orders'")
    );
    // Deleting again succeeds (DeletePipeline is idempotent).
    cp.delete_pipeline().name("orders").send().await.unwrap();
    // The name is free again and starts over at version 1.
    let again = cp
        .create_pipeline()
        .pipeline(pipeline("orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.pipeline().unwrap().version(), Some(1));
    assert!(again.tags().is_empty());
}

#[tokio::test]
async fn a_used_name_is_pipeline_name_in_use() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    cp.create_pipeline()
        .pipeline(pipeline("dup"))
        .send()
        .await
        .unwrap();
    let err = cp
        .create_pipeline()
        .pipeline(pipeline("dup"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_pipeline_name_in_use_exception());
}

#[tokio::test]
async fn updating_a_missing_pipeline_is_pipeline_not_found() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    let err = cp
        .update_pipeline()
        .pipeline(pipeline("nope"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PipelineNotFoundException");
}

#[tokio::test]
async fn pipelines_are_per_region() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    cp.create_pipeline()
        .pipeline(pipeline("here"))
        .send()
        .await
        .unwrap();
    let conf = aws_sdk_codepipeline::config::Builder::from(&common::sdk_config(&server.url()))
        .region(Region::new("eu-west-1"))
        .build();
    let eu = aws_sdk_codepipeline::Client::from_conf(conf);
    let err = eu.get_pipeline().name("here").send().await.unwrap_err();
    assert!(err.into_service_error().is_pipeline_not_found_exception());
    let listed = eu.list_pipelines().send().await.unwrap();
    assert!(listed.pipelines().is_empty());
    // The same name is free in the other region; its ARN names that region.
    eu.create_pipeline()
        .pipeline(pipeline("here"))
        .send()
        .await
        .unwrap();
    let got = eu.get_pipeline().name("here").send().await.unwrap();
    assert_eq!(
        got.metadata().unwrap().pipeline_arn(),
        Some("arn:aws:codepipeline:eu-west-1:000000000000:here")
    );
}

#[tokio::test]
async fn list_pipelines_pages_in_name_order() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    for name in ["e", "b", "d", "a", "c"] {
        cp.create_pipeline()
            .pipeline(pipeline(name))
            .send()
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = cp
            .list_pipelines()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.pipelines().len() <= 2);
        for p in page.pipelines() {
            assert_eq!(p.version(), Some(1));
            assert_eq!(p.pipeline_type(), Some(&PipelineType::V1));
            assert_eq!(p.execution_mode(), Some(&ExecutionMode::Superseded));
            assert!(p.created().is_some() && p.updated().is_some());
            names.push(p.name().unwrap().to_string());
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, 3);

    let all = cp.list_pipelines().send().await.unwrap();
    assert_eq!(all.pipelines().len(), 5);
    assert!(all.next_token().is_none());

    let err = cp
        .list_pipelines()
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_next_token_exception());
    let err = cp
        .list_pipelines()
        .max_results(1001)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());
}

#[tokio::test]
async fn tags_on_pipelines() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    cp.create_pipeline()
        .pipeline(pipeline("tagged"))
        .tags(tag("team", "shop"))
        .send()
        .await
        .unwrap();
    let arn = format!("{ARN_PREFIX}tagged");
    cp.tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "dev"))
        .tags(tag("team", "core"))
        .send()
        .await
        .unwrap();
    let tags = cp
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("team", "core"), ("env", "dev")]);

    // Paging one tag at a time.
    let first = cp
        .list_tags_for_resource()
        .resource_arn(&arn)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first.tags().len(), 1);
    let second = cp
        .list_tags_for_resource()
        .resource_arn(&arn)
        .max_results(1)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.tags()[0].key(), "env");
    assert!(second.next_token().is_none());

    cp.untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .tag_keys("absent")
        .send()
        .await
        .unwrap();
    let tags = cp
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].key(), "env");
}

#[tokio::test]
async fn tag_errors() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    cp.create_pipeline()
        .pipeline(pipeline("t"))
        .send()
        .await
        .unwrap();
    let arn = format!("{ARN_PREFIX}t");

    let err = cp
        .tag_resource()
        .resource_arn("not-an-arn")
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());
    let err = cp
        .tag_resource()
        .resource_arn(format!("{ARN_PREFIX}what:ever"))
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_arn_exception());
    let err = cp
        .tag_resource()
        .resource_arn(format!("{ARN_PREFIX}missing"))
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
    let err = cp
        .list_tags_for_resource()
        .resource_arn(format!("{ARN_PREFIX}missing"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
    let err = cp
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("aws:reserved", "x"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_tags_exception());
    let err = cp
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("aws:reserved")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_tags_exception());

    let mut req = cp.tag_resource().resource_arn(&arn);
    for i in 0..51 {
        req = req.tags(tag(&format!("k{i}"), "v"));
    }
    let err = req.send().await.unwrap_err();
    assert!(err.into_service_error().is_too_many_tags_exception());
    // Nothing of the refused request was kept.
    let tags = cp
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());

    let err = cp
        .list_tags_for_resource()
        .resource_arn(&arn)
        .next_token("zz")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_next_token_exception());
}

#[tokio::test]
async fn create_pipeline_with_too_many_tags_creates_nothing() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    let mut req = cp.create_pipeline().pipeline(pipeline("t"));
    for i in 0..51 {
        req = req.tags(tag(&format!("k{i}"), "v"));
    }
    let err = req.send().await.unwrap_err();
    assert!(err.into_service_error().is_too_many_tags_exception());
    let err = cp
        .create_pipeline()
        .pipeline(pipeline("t"))
        .tags(tag("aws:x", "v"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_tags_exception());
    let err = cp.get_pipeline().name("t").send().await.unwrap_err();
    assert!(err.into_service_error().is_pipeline_not_found_exception());
}

#[test]
fn the_wire_echo_has_empty_lists_and_epoch_numbers() {
    let server = common::start();
    let body = serde_json::json!({"pipeline": {
        "name": "wire",
        "roleArn": ROLE,
        "artifactStore": {"type": "S3", "location": "artifacts-bucket"},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Src",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"S3Bucket": "b", "S3ObjectKey": "k.zip"},
                "outputArtifacts": [{"name": "Out"}]
            }]},
            {"name": "Approve", "actions": [{
                "name": "Ok",
                "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
            }]}
        ]
    }});
    let r = common::raw_json(
        &server,
        "CodePipeline_20150709.CreatePipeline",
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    let ok = &v["pipeline"]["stages"][1]["actions"][0];
    assert_eq!(ok["inputArtifacts"], serde_json::json!([]));
    assert_eq!(ok["outputArtifacts"], serde_json::json!([]));
    assert_eq!(ok["configuration"], serde_json::json!({}));
    assert_eq!(ok["runOrder"], 1);
    assert!(v.get("tags").is_none(), "no tags were sent, none echoed");

    let r = common::raw_json(
        &server,
        "CodePipeline_20150709.GetPipeline",
        br#"{"name":"wire"}"#,
    );
    let v = r.json();
    assert!(v["metadata"]["created"].is_number());
    assert!(v["metadata"]["updated"].is_number());
    assert!(v["metadata"].get("pollingDisabledAt").is_none());
}

/// Every operation of the model is routed: the control plane answers, the execution side
/// answers an error naming what is missing (never a fake success, never "unknown").
#[test]
fn all_44_operations_are_registered() {
    let server = common::start();
    let ops = [
        "AcknowledgeJob",
        "AcknowledgeThirdPartyJob",
        "CreateCustomActionType",
        "CreatePipeline",
        "DeleteCustomActionType",
        "DeletePipeline",
        "DeleteWebhook",
        "DeregisterWebhookWithThirdParty",
        "DisableStageTransition",
        "EnableStageTransition",
        "GetActionType",
        "GetJobDetails",
        "GetPipeline",
        "GetPipelineExecution",
        "GetPipelineState",
        "GetThirdPartyJobDetails",
        "ListActionExecutions",
        "ListActionTypes",
        "ListDeployActionExecutionTargets",
        "ListPipelineExecutions",
        "ListPipelines",
        "ListRuleExecutions",
        "ListRuleTypes",
        "ListTagsForResource",
        "ListWebhooks",
        "OverrideStageCondition",
        "PollForJobs",
        "PollForThirdPartyJobs",
        "PutActionRevision",
        "PutApprovalResult",
        "PutJobFailureResult",
        "PutJobSuccessResult",
        "PutThirdPartyJobFailureResult",
        "PutThirdPartyJobSuccessResult",
        "PutWebhook",
        "RegisterWebhookWithThirdParty",
        "RetryStageExecution",
        "RollbackStage",
        "StartPipelineExecution",
        "StopPipelineExecution",
        "TagResource",
        "UntagResource",
        "UpdateActionType",
        "UpdatePipeline",
    ];
    assert_eq!(ops.len(), 44);
    for op in ops {
        let r = common::raw_json(&server, &format!("CodePipeline_20150709.{op}"), b"{}");
        let v = r.json();
        let msg = v["message"].as_str().unwrap_or_default();
        assert!(
            !msg.contains("is not supported by this server"),
            "{op} is not routed: {msg}"
        );
        assert!(r.status < 500, "{op}: {}", r.status);
    }
}
