//! Engine records as CodePipeline's wire shapes: pure functions, no I/O.

use super::model::*;
use crate::clock::Timestamp;
use crate::engine::conditions::ConditionKind;
use crate::engine::records::{ActionRecord, ArtifactLocation, ExecutionRecord, PipelineRuntime};
use crate::engine::spec::{ExecutionMode, PipelineSpec};
use crate::engine::status::ActionExecutionStatus;
use crate::engine::PipelineKey;
use crate::engine::Records;

fn errors(e: &Option<crate::engine::records::ErrorDetails>) -> Option<ErrorDetails> {
    e.as_ref().map(|e| ErrorDetails {
        code: e.code.clone(),
        message: e.message.clone(),
    })
}

fn trigger(r: &ExecutionRecord) -> ExecutionTrigger {
    ExecutionTrigger {
        trigger_type: r.trigger.trigger_type.clone(),
        trigger_detail: r.trigger.trigger_detail.clone(),
    }
}

fn rollback_metadata(r: &ExecutionRecord) -> Option<PipelineRollbackMetadata> {
    r.rollback.as_ref().map(|rb| PipelineRollbackMetadata {
        rollback_target_pipeline_execution_id: rb.target.clone(),
    })
}

/// `retryStageMetadata` of the stage's latest run, once it has been retried.
fn retry_metadata(r: &ExecutionRecord, stage: &str) -> Option<RetryStageMetadata> {
    let run = r.stages.get(stage)?;
    let trigger = run.latest_retry_trigger?;
    Some(RetryStageMetadata {
        auto_stage_retry_attempt: Some(i64::from(run.auto_retries)),
        manual_stage_retry_attempt: Some(i64::from(run.manual_retries)),
        latest_retry_trigger: Some(trigger.as_str().to_string()),
    })
}

fn stage_execution(r: &ExecutionRecord, stage: &str) -> Option<StageExecution> {
    r.stages.get(stage).map(|run| StageExecution {
        pipeline_execution_id: r.id.clone(),
        status: run.status,
        execution_type: r.execution_type.clone(),
    })
}

fn action_execution(a: &ActionRecord) -> ActionExecution {
    ActionExecution {
        action_execution_id: a.id.clone(),
        status: a.status,
        summary: a.summary.clone(),
        last_status_change: a.last_update_time,
        // The token is only shown while the approval waits for an answer.
        token: a
            .token
            .clone()
            .filter(|_| a.status == ActionExecutionStatus::InProgress),
        last_updated_by: a.updated_by.clone(),
        external_execution_id: a.external_execution_id.clone(),
        external_execution_url: a.external_execution_url.clone(),
        percent_complete: a.percent_complete,
        error_details: errors(&a.error_details),
        log_stream_arn: a.log_stream_arn.clone(),
    }
}

/// GetPipelineState for the pipeline's current declaration (`spec`).
pub fn pipeline_state(
    key: &PipelineKey,
    spec: &PipelineSpec,
    created: Timestamp,
    updated: Timestamp,
    records: &Records,
) -> GetPipelineStateOutput {
    let runtime: PipelineRuntime = records.runtime(key);
    let stage_states = spec
        .stages
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let latest_record = runtime
                .stage_latest
                .get(&stage.name)
                .and_then(|id| records.execution(id));
            let latest = latest_record
                .as_ref()
                .and_then(|r| stage_execution(r, &stage.name));
            let retry_stage_metadata = latest_record
                .as_ref()
                .and_then(|r| retry_metadata(r, &stage.name));
            let condition = |kind| {
                latest_record
                    .as_ref()
                    .and_then(|r| super::conditions::stage_condition_state(r, stage, kind, records))
            };
            let inbound: Vec<StageExecution> = runtime
                .inbound
                .get(&stage.name)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| records.execution(id))
                        .map(|r| StageExecution {
                            pipeline_execution_id: r.id.clone(),
                            status: crate::engine::status::StageExecutionStatus::InProgress,
                            execution_type: r.execution_type.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let inbound_transition_state =
                (i > 0).then(|| match runtime.transitions.get(&stage.name) {
                    Some(t) => TransitionState {
                        enabled: t.enabled,
                        last_changed_by: t.last_changed_by.clone(),
                        last_changed_at: t.last_changed_at,
                        disabled_reason: t.disabled_reason.clone(),
                    },
                    None => TransitionState {
                        enabled: true,
                        last_changed_by: None,
                        last_changed_at: None,
                        disabled_reason: None,
                    },
                });
            let action_states = stage
                .actions
                .iter()
                .map(|a| {
                    let latest = records.latest_action(key, &stage.name, &a.name);
                    ActionState {
                        action_name: a.name.clone(),
                        current_revision: latest.as_ref().and_then(|l| {
                            l.current_revision.as_ref().map(|r| ActionRevision {
                                revision_id: r.revision_id.clone(),
                                revision_change_id: r
                                    .revision_change_identifier
                                    .clone()
                                    .unwrap_or_else(|| r.revision_id.clone()),
                                created: r.created.unwrap_or(l.last_update_time),
                            })
                        }),
                        revision_url: latest
                            .as_ref()
                            .and_then(|l| l.current_revision.as_ref())
                            .and_then(|r| r.revision_url.clone()),
                        latest_execution: latest.as_ref().map(action_execution),
                        entity_url: None,
                    }
                })
                .collect();
            let queued = spec.execution_mode == ExecutionMode::Queued;
            let inbound_execution = inbound.first().map(|s| StageExecution {
                pipeline_execution_id: s.pipeline_execution_id.clone(),
                status: s.status,
                execution_type: s.execution_type.clone(),
            });
            StageState {
                stage_name: stage.name.clone(),
                inbound_execution,
                inbound_executions: (queued && !inbound.is_empty()).then_some(inbound),
                inbound_transition_state,
                action_states,
                latest_execution: latest,
                before_entry_condition_state: condition(ConditionKind::BeforeEntry),
                on_success_condition_state: condition(ConditionKind::OnSuccess),
                on_failure_condition_state: condition(ConditionKind::OnFailure),
                retry_stage_metadata,
            }
        })
        .collect();
    GetPipelineStateOutput {
        pipeline_name: key.name.clone(),
        pipeline_version: spec.version,
        stage_states,
        created,
        updated,
    }
}

pub fn pipeline_execution(r: &ExecutionRecord) -> PipelineExecution {
    PipelineExecution {
        pipeline_name: r.key.name.clone(),
        pipeline_version: r.pipeline_version,
        pipeline_execution_id: r.id.clone(),
        status: r.status,
        status_summary: r.status_summary.clone(),
        artifact_revisions: r
            .artifact_revisions
            .iter()
            .map(|a| ArtifactRevision {
                name: a.name.clone(),
                revision_id: a.revision_id.clone(),
                revision_change_identifier: a.revision_change_identifier.clone(),
                revision_summary: a.revision_summary.clone(),
                created: a.created,
                revision_url: a.revision_url.clone(),
            })
            .collect(),
        variables: r
            .variables
            .iter()
            .map(|(n, v)| ResolvedPipelineVariable {
                name: n.clone(),
                resolved_value: v.clone(),
            })
            .collect(),
        trigger: trigger(r),
        execution_mode: r.execution_mode.as_str().to_string(),
        execution_type: r.execution_type.clone(),
        rollback_metadata: rollback_metadata(r),
    }
}

pub fn execution_summary(r: &ExecutionRecord) -> PipelineExecutionSummary {
    PipelineExecutionSummary {
        pipeline_execution_id: r.id.clone(),
        status: r.status,
        status_summary: r.status_summary.clone(),
        start_time: r.start_time,
        last_update_time: r.last_update_time,
        source_revisions: r
            .artifact_revisions
            .iter()
            .map(|a| SourceRevision {
                action_name: a.action_name.clone(),
                revision_id: Some(a.revision_id.clone()),
                revision_summary: a.revision_summary.clone(),
                revision_url: a.revision_url.clone(),
            })
            .collect(),
        trigger: trigger(r),
        stop_trigger: r.stop_reason.as_ref().map(|reason| StopExecutionTrigger {
            reason: reason.clone(),
        }),
        execution_mode: r.execution_mode.as_str().to_string(),
        execution_type: r.execution_type.clone(),
        rollback_metadata: rollback_metadata(r),
    }
}

fn artifact_details(list: &[ArtifactLocation]) -> Vec<ArtifactDetail> {
    list.iter()
        .map(|a| ArtifactDetail {
            name: a.name.clone(),
            s3location: S3Location {
                bucket: a.bucket.clone(),
                key: a.key.clone(),
            },
        })
        .collect()
}

pub fn action_execution_detail(a: &ActionRecord) -> ActionExecutionDetail {
    ActionExecutionDetail {
        pipeline_execution_id: a.pipeline_execution_id.clone(),
        action_execution_id: a.id.clone(),
        pipeline_version: a.pipeline_version,
        stage_name: a.stage.clone(),
        action_name: a.action.clone(),
        start_time: a.start_time,
        last_update_time: a.last_update_time,
        updated_by: a.updated_by.clone(),
        status: a.status,
        input: ActionExecutionInput {
            action_type_id: ActionTypeIdOut {
                category: a.action_type.category.clone(),
                owner: a.action_type.owner.clone(),
                provider: a.action_type.provider.clone(),
                version: a.action_type.version.clone(),
            },
            configuration: a.configuration.to_btree(),
            resolved_configuration: a.resolved().to_btree(),
            role_arn: a.role_arn.clone(),
            region: a.region.clone(),
            input_artifacts: artifact_details(&a.input_artifacts),
            namespace: a.namespace.clone(),
        },
        output: ActionExecutionOutput {
            output_artifacts: artifact_details(&a.output_artifacts),
            execution_result: ActionExecutionResult {
                external_execution_id: a.external_execution_id.clone(),
                external_execution_summary: a.summary.clone(),
                external_execution_url: a.external_execution_url.clone(),
                error_details: errors(&a.error_details),
                log_stream_arn: a.log_stream_arn.clone(),
            },
            output_variables: a.output_variables.clone(),
        },
    }
}
