//! Wire types of the execution-side CodePipeline operations (botocore `codepipeline`
//! 2015-07-09): starting, stopping, retrying, rolling back and observing executions, approvals
//! and transitions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws_enum;
use crate::clock::Timestamp;
use crate::engine::status::{ActionExecutionStatus, PipelineExecutionStatus, StageExecutionStatus};
pub use crate::services::codepipeline::model::StageRetryMode;

aws_enum!(ApprovalStatus { Approved = "Approved", Rejected = "Rejected" });
aws_enum!(StageTransitionType { Inbound = "Inbound", Outbound = "Outbound" });
aws_enum!(SourceRevisionType {
    CommitId = "COMMIT_ID",
    ImageDigest = "IMAGE_DIGEST",
    S3ObjectVersionId = "S3_OBJECT_VERSION_ID",
    S3ObjectKey = "S3_OBJECT_KEY",
});
aws_enum!(StartTimeRange { Latest = "Latest", All = "All" });

// ---- inputs ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineVariable {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRevisionOverride {
    pub action_name: String,
    pub revision_type: SourceRevisionType,
    pub revision_value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartPipelineExecutionInput {
    pub name: String,
    pub variables: Option<Vec<PipelineVariable>>,
    pub client_request_token: Option<String>,
    pub source_revisions: Option<Vec<SourceRevisionOverride>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopPipelineExecutionInput {
    pub pipeline_name: String,
    pub pipeline_execution_id: String,
    pub abandon: Option<bool>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPipelineStateInput {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPipelineExecutionInput {
    pub pipeline_name: String,
    pub pipeline_execution_id: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SucceededInStageFilter {
    pub stage_name: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PipelineExecutionFilter {
    pub succeeded_in_stage: Option<SucceededInStageFilter>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPipelineExecutionsInput {
    pub pipeline_name: String,
    pub max_results: Option<i64>,
    pub filter: Option<PipelineExecutionFilter>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatestInPipelineExecutionFilter {
    pub pipeline_execution_id: String,
    pub start_time_range: StartTimeRange,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ActionExecutionFilter {
    pub pipeline_execution_id: Option<String>,
    pub latest_in_pipeline_execution: Option<LatestInPipelineExecutionFilter>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListActionExecutionsInput {
    pub pipeline_name: String,
    pub filter: Option<ActionExecutionFilter>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalResult {
    pub summary: String,
    pub status: ApprovalStatus,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutApprovalResultInput {
    pub pipeline_name: String,
    pub stage_name: String,
    pub action_name: String,
    pub result: ApprovalResult,
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisableStageTransitionInput {
    pub pipeline_name: String,
    pub stage_name: String,
    pub transition_type: StageTransitionType,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnableStageTransitionInput {
    pub pipeline_name: String,
    pub stage_name: String,
    pub transition_type: StageTransitionType,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryStageExecutionInput {
    pub pipeline_name: String,
    pub stage_name: String,
    pub pipeline_execution_id: String,
    pub retry_mode: StageRetryMode,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollbackStageInput {
    pub pipeline_name: String,
    pub stage_name: String,
    pub target_pipeline_execution_id: String,
}

// ---- outputs -----------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryStageExecutionOutput {
    pub pipeline_execution_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollbackStageOutput {
    pub pipeline_execution_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryStageMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_stage_retry_attempt: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_stage_retry_attempt: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_retry_trigger: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineRollbackMetadata {
    pub rollback_target_pipeline_execution_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartPipelineExecutionOutput {
    pub pipeline_execution_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopPipelineExecutionOutput {
    pub pipeline_execution_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutApprovalResultOutput {
    pub approved_at: Timestamp,
}

#[derive(Debug, Serialize, Default)]
pub struct Empty {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageExecution {
    pub pipeline_execution_id: String,
    pub status: StageExecutionStatus,
    #[serde(rename = "type")]
    pub execution_type: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransitionState {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_changed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_changed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
}

#[derive(Debug, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetails {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionExecution {
    pub action_execution_id: String,
    pub status: ActionExecutionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub last_status_change: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_execution_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_execution_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_complete: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_details: Option<ErrorDetails>,
    #[serde(rename = "logStreamARN", skip_serializing_if = "Option::is_none")]
    pub log_stream_arn: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRevision {
    pub revision_id: String,
    pub revision_change_id: String,
    pub created: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionState {
    pub action_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<ActionRevision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_execution: Option<ActionExecution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_url: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageState {
    pub stage_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbound_execution: Option<StageExecution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbound_executions: Option<Vec<StageExecution>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbound_transition_state: Option<TransitionState>,
    pub action_states: Vec<ActionState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_execution: Option<StageExecution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_entry_condition_state: Option<super::condition_model::StageConditionState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_success_condition_state: Option<super::condition_model::StageConditionState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_failure_condition_state: Option<super::condition_model::StageConditionState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_stage_metadata: Option<RetryStageMetadata>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPipelineStateOutput {
    pub pipeline_name: String,
    pub pipeline_version: i64,
    pub stage_states: Vec<StageState>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactRevision {
    pub name: String,
    pub revision_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_change_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_url: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedPipelineVariable {
    pub name: String,
    pub resolved_value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionTrigger {
    pub trigger_type: String,
    pub trigger_detail: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineExecution {
    pub pipeline_name: String,
    pub pipeline_version: i64,
    pub pipeline_execution_id: String,
    pub status: PipelineExecutionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_summary: Option<String>,
    pub artifact_revisions: Vec<ArtifactRevision>,
    pub variables: Vec<ResolvedPipelineVariable>,
    pub trigger: ExecutionTrigger,
    pub execution_mode: String,
    pub execution_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_metadata: Option<PipelineRollbackMetadata>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPipelineExecutionOutput {
    pub pipeline_execution: PipelineExecution,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRevision {
    pub action_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_url: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopExecutionTrigger {
    pub reason: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineExecutionSummary {
    pub pipeline_execution_id: String,
    pub status: PipelineExecutionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_summary: Option<String>,
    pub start_time: Timestamp,
    pub last_update_time: Timestamp,
    pub source_revisions: Vec<SourceRevision>,
    pub trigger: ExecutionTrigger,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_trigger: Option<StopExecutionTrigger>,
    pub execution_mode: String,
    pub execution_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_metadata: Option<PipelineRollbackMetadata>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPipelineExecutionsOutput {
    pub pipeline_execution_summaries: Vec<PipelineExecutionSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactDetail {
    pub name: String,
    pub s3location: S3Location,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTypeIdOut {
    pub category: String,
    pub owner: String,
    pub provider: String,
    pub version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionExecutionInput {
    pub action_type_id: ActionTypeIdOut,
    pub configuration: BTreeMap<String, String>,
    pub resolved_configuration: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub region: String,
    pub input_artifacts: Vec<ArtifactDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionExecutionResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_execution_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_execution_summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_execution_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_details: Option<ErrorDetails>,
    #[serde(rename = "logStreamARN", skip_serializing_if = "Option::is_none")]
    pub log_stream_arn: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionExecutionOutput {
    pub output_artifacts: Vec<ArtifactDetail>,
    pub execution_result: ActionExecutionResult,
    pub output_variables: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionExecutionDetail {
    pub pipeline_execution_id: String,
    pub action_execution_id: String,
    pub pipeline_version: i64,
    pub stage_name: String,
    pub action_name: String,
    pub start_time: Timestamp,
    pub last_update_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    pub status: ActionExecutionStatus,
    pub input: ActionExecutionInput,
    pub output: ActionExecutionOutput,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListActionExecutionsOutput {
    pub action_execution_details: Vec<ActionExecutionDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDeployActionExecutionTargetsInput {
    pub pipeline_name: Option<String>,
    pub action_execution_id: String,
    #[serde(default)]
    pub filters: Vec<TargetFilter>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetFilter {
    pub name: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDeployActionExecutionTargetsOutput {
    pub targets: Vec<DeployActionExecutionTarget>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployActionExecutionTarget {
    pub target_id: String,
    pub target_type: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    pub events: Vec<DeployTargetEvent>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployTargetEvent {
    pub name: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<DeployTargetEventContext>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployTargetEventContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssm_command_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
