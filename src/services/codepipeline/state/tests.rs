//! Unit tests of the state: the rules that need it (name in use, quotas), versions, and
//! persistence across a reload.

use std::sync::Arc;

use serde_json::json;

use super::{Limits, State};
use crate::services::codepipeline::arn;
use crate::services::codepipeline::errors::CodePipelineError;
use crate::services::codepipeline::model::{PipelineDeclaration, Tag};
use crate::store::Store;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn declaration(name: &str, project: &str) -> PipelineDeclaration {
    serde_json::from_value(json!({
        "name": name,
        "roleArn": "arn:aws:iam::123456789012:role/pipeline",
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Src",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"S3Bucket": "b", "S3ObjectKey": "app.zip"},
                "outputArtifacts": [{"name": "Out"}]
            }]},
            {"name": "Build", "actions": [{
                "name": "Compile",
                "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                "configuration": {"ProjectName": project},
                "inputArtifacts": [{"name": "Out"}]
            }]}
        ]
    }))
    .unwrap()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

#[test]
fn a_used_name_is_pipeline_name_in_use() {
    let state = State::in_memory(Limits::default());
    state
        .create_pipeline(ACCOUNT, REGION, declaration("p", "a"), vec![])
        .unwrap();
    let err = state
        .create_pipeline(ACCOUNT, REGION, declaration("p", "a"), vec![])
        .unwrap_err();
    assert_eq!(err.code(), "PipelineNameInUseException");
    // The same name in another region or account is free.
    state
        .create_pipeline(ACCOUNT, "eu-west-1", declaration("p", "a"), vec![])
        .unwrap();
    state
        .create_pipeline("210987654321", REGION, declaration("p", "a"), vec![])
        .unwrap();
}

#[test]
fn the_pipeline_quota_is_limit_exceeded() {
    let state = State::in_memory(Limits {
        pipelines: 2,
        ..Limits::default()
    });
    for name in ["a", "b"] {
        state
            .create_pipeline(ACCOUNT, REGION, declaration(name, "x"), vec![])
            .unwrap();
    }
    let err = state
        .create_pipeline(ACCOUNT, REGION, declaration("c", "x"), vec![])
        .unwrap_err();
    assert_eq!(err.code(), "LimitExceededException");
    assert!(state.get_pipeline(ACCOUNT, REGION, "c", None).is_err());
}

#[test]
fn the_default_quota_is_one_thousand() {
    let state = State::in_memory(Limits::default());
    for i in 0..1000 {
        state
            .create_pipeline(
                ACCOUNT,
                REGION,
                declaration(&format!("p{i:04}"), "x"),
                vec![],
            )
            .unwrap();
    }
    let err = state
        .create_pipeline(ACCOUNT, REGION, declaration("one-too-many", "x"), vec![])
        .unwrap_err();
    assert!(matches!(err, CodePipelineError::LimitExceeded(_)));
}

#[test]
fn too_many_or_reserved_tags_are_refused() {
    let state = State::in_memory(Limits::default());
    let tags: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    let err = state
        .create_pipeline(ACCOUNT, REGION, declaration("p", "x"), tags)
        .unwrap_err();
    assert_eq!(err.code(), "TooManyTagsException");
    let err = state
        .create_pipeline(
            ACCOUNT,
            REGION,
            declaration("p", "x"),
            vec![tag("aws:x", "v")],
        )
        .unwrap_err();
    assert_eq!(err.code(), "InvalidTagsException");
    assert!(state.pipeline(ACCOUNT, REGION, "p").is_none());
}

#[test]
fn every_version_is_kept() {
    let state = State::in_memory(Limits::default());
    state
        .create_pipeline(ACCOUNT, REGION, declaration("p", "one"), vec![])
        .unwrap();
    let v2 = state
        .update_pipeline(ACCOUNT, REGION, declaration("p", "two"))
        .unwrap();
    assert_eq!(v2.stored.version, Some(2));
    let (v1, _) = state.get_pipeline(ACCOUNT, REGION, "p", Some(1)).unwrap();
    assert_eq!(
        v1.stages[1].actions[0].configuration.as_ref().unwrap()["ProjectName"],
        "one"
    );
    let err = state
        .get_pipeline(ACCOUNT, REGION, "p", Some(3))
        .unwrap_err();
    assert_eq!(err.code(), "PipelineVersionNotFoundException");
    let err = state
        .update_pipeline(ACCOUNT, REGION, declaration("missing", "x"))
        .unwrap_err();
    assert_eq!(err.code(), "PipelineNotFoundException");
}

#[test]
fn a_reload_finds_everything_and_deletes_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let state = State::load(store, Limits::default()).unwrap();
        state
            .create_pipeline(
                ACCOUNT,
                REGION,
                declaration("keep", "one"),
                vec![tag("team", "a")],
            )
            .unwrap();
        state
            .update_pipeline(ACCOUNT, REGION, declaration("keep", "two"))
            .unwrap();
        state
            .create_pipeline(ACCOUNT, REGION, declaration("gone", "x"), vec![])
            .unwrap();
        state.delete_pipeline(ACCOUNT, REGION, "gone").unwrap();
        let target = arn::parse(&arn::pipeline(REGION, ACCOUNT, "keep")).unwrap();
        state
            .retag(&target, "arn", |t| {
                let mut t = t.to_vec();
                t.push(tag("env", "dev"));
                Ok(t)
            })
            .unwrap();
    }
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let state = State::load(store.clone(), Limits::default()).unwrap();
    let (latest, meta) = state.pipeline(ACCOUNT, REGION, "keep").unwrap();
    assert_eq!(latest.version, Some(2));
    assert_eq!(meta.pipeline_arn, arn::pipeline(REGION, ACCOUNT, "keep"));
    assert!(state.pipeline_version(ACCOUNT, REGION, "keep", 1).is_some());
    assert!(state.pipeline(ACCOUNT, REGION, "gone").is_none());
    let target = arn::parse(&arn::pipeline(REGION, ACCOUNT, "keep")).unwrap();
    assert_eq!(
        state.tags(&target, "arn").unwrap(),
        vec![tag("team", "a"), tag("env", "dev")]
    );
    let rows: Vec<(String, serde_json::Value)> = store.load(super::PIPELINE_VERSIONS).unwrap();
    assert_eq!(
        rows.len(),
        2,
        "only the kept pipeline's two versions remain"
    );
}

#[test]
fn reset_wipes_memory() {
    let state = State::in_memory(Limits::default());
    state
        .create_pipeline(ACCOUNT, REGION, declaration("p", "x"), vec![])
        .unwrap();
    state.reset();
    assert_eq!(state.pipeline_count(), 0);
}
