//! CreatePipeline/UpdatePipeline validation as clients see it: every exception of the
//! reference's table 2.3 reaches the SDK as its typed error, messages use AWS's wording, and a
//! refused request changes nothing.

mod codepipeline_support;
mod common;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, BlockerDeclaration, BlockerType, ExecutionMode, PipelineType,
};
use codepipeline_support::*;
use serde_json::json;

fn message<E: aws_sdk_codepipeline::error::ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or_default().to_string()
}

#[tokio::test]
async fn each_rule_answers_its_exception() {
    let server = common::start();
    let cp = common::codepipeline(&server);

    let mut one_stage = pipeline("p");
    one_stage.stages.pop();
    let err = cp
        .create_pipeline()
        .pipeline(one_stage)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_structure_exception());
    assert_eq!(
        message(&err),
        "Pipeline has only 1 stage(s). There should be a minimum of 2 stages in a pipeline"
    );

    let mut build_first = pipeline("p");
    build_first.stages.swap(0, 1);
    let err = cp
        .create_pipeline()
        .pipeline(build_first)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_structure_exception());
    assert_eq!(
        message(&err),
        "Pipeline should start with a stage that only contains source actions"
    );

    let mut dup_stage = pipeline("p");
    dup_stage
        .stages
        .push(stage("Build", vec![codebuild("Again", "SourceOut", "x")]));
    let err = cp
        .create_pipeline()
        .pipeline(dup_stage)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_stage_declaration_exception());

    let mut unknown = pipeline("p");
    unknown.stages[1] = stage(
        "Build",
        vec![action(
            "Build",
            type_id(ActionCategory::Build, ActionOwner::Aws, "Foo"),
            &[],
            &["SourceOut"],
            &[],
        )],
    );
    let err = cp
        .create_pipeline()
        .pipeline(unknown)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_action_declaration_exception());
    assert_eq!(
        message(&err),
        "ActionType (Category: 'Build', Provider: 'Foo', Owner: 'AWS', Version: '1') in action 'Build' is not available in region 'US_EAST_1'"
    );

    let mut blocked = pipeline("p");
    blocked.stages[1].blockers = Some(vec![BlockerDeclaration::builder()
        .name("b")
        .r#type(BlockerType::Schedule)
        .build()
        .unwrap()]);
    let err = cp
        .create_pipeline()
        .pipeline(blocked)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_blocker_declaration_exception());

    let mut v1_queued = pipeline("p");
    v1_queued.pipeline_type = Some(PipelineType::V1);
    v1_queued.execution_mode = Some(ExecutionMode::Queued);
    let err = cp
        .create_pipeline()
        .pipeline(v1_queued)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception());

    // Nothing was created by any of them.
    assert!(cp
        .list_pipelines()
        .send()
        .await
        .unwrap()
        .pipelines()
        .is_empty());

    // V2 features without a type make a V2 pipeline.
    let mut queued = pipeline("queued");
    queued.execution_mode = Some(ExecutionMode::Queued);
    let out = cp.create_pipeline().pipeline(queued).send().await.unwrap();
    assert_eq!(
        out.pipeline().unwrap().pipeline_type(),
        Some(&PipelineType::V2)
    );
}

#[tokio::test]
async fn a_refused_update_keeps_the_current_version() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    cp.create_pipeline()
        .pipeline(pipeline("keep"))
        .send()
        .await
        .unwrap();
    let mut bad = pipeline("keep");
    bad.stages[1].actions[0].input_artifacts.as_mut().unwrap()[0].name = "Nowhere".into();
    let err = cp
        .update_pipeline()
        .pipeline(bad)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_invalid_structure_exception());
    let mut bad = pipeline("keep");
    bad.stages[1].actions[0].run_order = Some(1000);
    let err = cp
        .update_pipeline()
        .pipeline(bad)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception());
    let got = cp.get_pipeline().name("keep").send().await.unwrap();
    assert_eq!(got.pipeline().unwrap().version(), Some(1));
    let err = cp
        .get_pipeline()
        .name("keep")
        .version(2)
        .send()
        .await
        .unwrap_err();
    assert!(err
        .into_service_error()
        .is_pipeline_version_not_found_exception());
}

#[tokio::test]
async fn the_region_quota_is_limit_exceeded() {
    let server = common::start();
    let cp = common::codepipeline(&server);
    for i in 0..1000 {
        cp.create_pipeline()
            .pipeline(pipeline(&format!("p{i:04}")))
            .send()
            .await
            .unwrap();
    }
    let err = cp
        .create_pipeline()
        .pipeline(pipeline("p1000"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_limit_exceeded_exception());
    let first = cp.list_pipelines().max_results(1000).send().await.unwrap();
    assert_eq!(first.pipelines().len(), 1000);
    assert!(first.next_token().is_none());
}

const CREATE: &str = "CodePipeline_20150709.CreatePipeline";

fn valid_body() -> serde_json::Value {
    json!({"pipeline": {
        "name": "raw",
        "roleArn": ROLE,
        "artifactStore": {"type": "S3", "location": "artifacts-bucket"},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Src",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"S3Bucket": "b", "S3ObjectKey": "k.zip"},
                "outputArtifacts": [{"name": "Out"}]
            }]},
            {"name": "Build", "actions": [{
                "name": "Compile",
                "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                "configuration": {"ProjectName": "x"},
                "inputArtifacts": [{"name": "Out"}]
            }]}
        ]
    }})
}

#[test]
fn validation_messages_use_aws_wording_and_paths() {
    let server = common::start();
    let mut body = valid_body();
    body["pipeline"]["name"] = json!("my pipe");
    body["pipeline"]["stages"][1]["actions"][0]["runOrder"] = json!(0);
    let r = common::raw_json(&server, CREATE, body.to_string().as_bytes());
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["__type"], "ValidationException");
    assert_eq!(
        v["message"],
        "2 validation errors detected: Value 'my pipe' at 'pipeline.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9.@\\-_]+; Value '0' at 'pipeline.stages.2.member.actions.1.member.runOrder' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );

    let mut body = valid_body();
    body["pipeline"].as_object_mut().unwrap().remove("roleArn");
    let r = common::raw_json(&server, CREATE, body.to_string().as_bytes());
    let v = r.json();
    assert_eq!(v["__type"], "ValidationException");
    assert!(v["message"].as_str().unwrap().contains(
        "Value null at 'pipeline.roleArn' failed to satisfy constraint: Member must not be null"
    ));

    let mut body = valid_body();
    body["pipeline"]["stages"][0]["actions"][0]["actionTypeId"]["owner"] = json!("Me");
    let r = common::raw_json(&server, CREATE, body.to_string().as_bytes());
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("at 'pipeline.stages.1.member.actions.1.member.actionTypeId.owner' failed to satisfy constraint: Member must satisfy enum value set: [AWS, ThirdParty, Custom]"),
        "{msg}"
    );
}

#[test]
fn undecodable_bodies_are_client_errors() {
    let server = common::start();
    for body in [
        &b"{\"pipeline\": "[..],
        b"[]",
        br#"{"pipeline": {"name": 5}}"#,
        br#"{"pipeline": {"name": "x", "roleArn": "r", "stages": [{"name": "s", "actions": [{"name": "a", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}, "runOrder": "first"}]}]}}"#,
        br#"{"pipeline": {"name": "x", "roleArn": "r", "stages": "none"}}"#,
    ] {
        let r = common::raw_json(&server, CREATE, body);
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(body));
        let code = r.json()["__type"].as_str().unwrap().to_string();
        assert!(
            code == "SerializationException" || code == "ValidationException",
            "{code}"
        );
    }
    // The server is still serving.
    let r = common::raw_json(&server, CREATE, valid_body().to_string().as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn unknown_members_are_ignored() {
    let server = common::start();
    let mut body = valid_body();
    body["somethingNew"] = json!({"x": 1});
    body["pipeline"]["futureMember"] = json!(true);
    let r = common::raw_json(&server, CREATE, body.to_string().as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["pipeline"].get("futureMember").is_none());
}

/// Every leaf of a valid request replaced by awkward values: the answer is always a success
/// or a client error, never a fault (no panic reaches the client as a 500).
#[test]
fn awkward_values_never_fault() {
    fn leaves(v: &serde_json::Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, c) in m {
                    let mut p = path.clone();
                    p.push(k.clone());
                    leaves(c, p, out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    let mut p = path.clone();
                    p.push(i.to_string());
                    leaves(c, p, out);
                }
            }
            _ => out.push(path),
        }
    }
    fn at<'a>(v: &'a mut serde_json::Value, path: &[String]) -> &'a mut serde_json::Value {
        path.iter().fold(v, |v, seg| match v {
            serde_json::Value::Array(a) => &mut a[seg.parse::<usize>().unwrap()],
            other => &mut other[seg.as_str()],
        })
    }
    let server = common::start();
    let mut body = valid_body();
    body["tags"] = json!([{"key": "k", "value": "v"}]);
    let mut paths = Vec::new();
    leaves(&body, Vec::new(), &mut paths);
    let awkward = [
        json!(""),
        json!("é".repeat(300)),
        json!("#{"),
        json!("{Config:"),
        json!("a\nb"),
        json!("****"),
        json!("aws:é"),
        json!(0),
        json!(-1),
        json!(1e300),
        json!(null),
        json!([]),
    ];
    for (i, path) in paths.iter().enumerate() {
        for (j, value) in awkward.iter().enumerate() {
            let mut b = body.clone();
            *at(&mut b, path) = value.clone();
            // A distinct name per request so that successes do not collide.
            if path.last().map(String::as_str) != Some("name") || path.len() != 2 {
                b["pipeline"]["name"] = json!(format!("p{i}-{j}"));
            }
            let r = common::raw_json(&server, CREATE, b.to_string().as_bytes());
            assert!(
                r.status == 200 || r.status == 400,
                "{path:?} = {value}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
    }
}
