//! The engine's EventBridge events (source `aws.codepipeline`): pipeline, stage and action
//! execution state changes, with the detail members AWS sends.

use serde_json::{json, Value};

use super::records::{ActionRecord, ArtifactLocation, ExecutionRecord};
use super::spec::PipelineKey;
use crate::bus::{Event, EventBus, Topic};

const SOURCE: &str = "aws.codepipeline";

/// Publishes an event of the pipeline's; its detail is built only if a subscriber wants it.
fn publish(bus: &EventBus, key: &PipelineKey, detail_type: &str, detail: impl FnOnce() -> Value) {
    let topic = Topic {
        source: SOURCE,
        detail_type,
        account: &key.account,
        region: &key.region,
    };
    bus.publish_with(topic, || {
        Event::new(
            SOURCE,
            detail_type,
            &key.account,
            &key.region,
            vec![key.arn()],
            detail(),
        )
    });
}

pub fn pipeline(bus: &EventBus, rec: &ExecutionRecord, state: &str) {
    publish(bus, &rec.key, PIPELINE_STATE, || {
        pipeline_detail(rec, state)
    });
}

const PIPELINE_STATE: &str = "CodePipeline Pipeline Execution State Change";
const STAGE_STATE: &str = "CodePipeline Stage Execution State Change";
const ACTION_STATE: &str = "CodePipeline Action Execution State Change";

fn pipeline_detail(rec: &ExecutionRecord, state: &str) -> Value {
    let mut detail = json!({
        "pipeline": rec.key.name,
        "execution-id": rec.id,
        "state": state,
        "version": rec.pipeline_version,
    });
    if state == "STARTED" {
        detail["execution-trigger"] = json!({
            "trigger-type": rec.trigger.trigger_type,
            "trigger-detail": rec.trigger.trigger_detail,
        });
    }
    detail
}

pub fn stage(bus: &EventBus, rec: &ExecutionRecord, stage: &str, state: &str) {
    publish(bus, &rec.key, STAGE_STATE, || {
        json!({
            "pipeline": rec.key.name,
            "execution-id": rec.id,
            "stage": stage,
            "state": state,
            "version": rec.pipeline_version,
        })
    });
}

fn artifacts(list: &[ArtifactLocation]) -> Value {
    Value::Array(
        list.iter()
            .map(|a| json!({"name": a.name, "s3location": {"bucket": a.bucket, "key": a.key}}))
            .collect(),
    )
}

pub fn action(bus: &EventBus, rec: &ActionRecord, state: &str) {
    publish(bus, &rec.key, ACTION_STATE, || action_detail(rec, state));
}

fn action_detail(rec: &ActionRecord, state: &str) -> Value {
    let mut detail = json!({
        "pipeline": rec.key.name,
        "execution-id": rec.pipeline_execution_id,
        "stage": rec.stage,
        "action": rec.action,
        "state": state,
        "region": rec.region,
        "type": {
            "owner": rec.action_type.owner,
            "category": rec.action_type.category,
            "provider": rec.action_type.provider,
            "version": rec.action_type.version,
        },
        "version": rec.pipeline_version,
    });
    match state {
        "STARTED" => detail["input-artifacts"] = artifacts(&rec.input_artifacts),
        "SUCCEEDED" => detail["output-artifacts"] = artifacts(&rec.output_artifacts),
        _ => {}
    }
    if state != "STARTED" {
        let mut result = serde_json::Map::new();
        if let Some(url) = &rec.external_execution_url {
            result.insert("external-execution-url".into(), json!(url));
        }
        if let Some(summary) = &rec.summary {
            result.insert("external-execution-summary".into(), json!(summary));
        }
        if let Some(id) = &rec.external_execution_id {
            result.insert("external-execution-id".into(), json!(id));
        }
        if let Some(err) = &rec.error_details {
            result.insert("error-code".into(), json!(err.code));
        }
        if !result.is_empty() {
            detail["execution-result"] = Value::Object(result);
        }
    }
    detail
}
