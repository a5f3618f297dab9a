//! Wire types of stage conditions (botocore `codepipeline` 2015-07-09): OverrideStageCondition,
//! ListRuleExecutions, and GetPipelineState's `StageConditionState`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{ArtifactDetail, ErrorDetails};
use crate::aws_enum;
use crate::clock::Timestamp;
use crate::engine::conditions::{ConditionExecutionStatus, RuleExecutionStatus};

aws_enum!(ConditionType {
    BeforeEntry = "BEFORE_ENTRY",
    OnSuccess = "ON_SUCCESS",
});

// ---- inputs ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverrideStageConditionInput {
    pub pipeline_name: String,
    pub stage_name: String,
    pub pipeline_execution_id: String,
    pub condition_type: ConditionType,
}

/// The model's RuleExecutionFilter has the members of ActionExecutionFilter.
pub type RuleExecutionFilter = super::model::ActionExecutionFilter;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRuleExecutionsInput {
    pub pipeline_name: String,
    pub filter: Option<RuleExecutionFilter>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

// ---- outputs -----------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleTypeIdOut {
    pub category: String,
    pub owner: String,
    pub provider: String,
    pub version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleExecutionInput {
    pub rule_type_id: RuleTypeIdOut,
    pub configuration: BTreeMap<String, String>,
    pub resolved_configuration: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub region: String,
    pub input_artifacts: Vec<ArtifactDetail>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleExecutionResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_execution_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_execution_summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_execution_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_details: Option<ErrorDetails>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleExecutionOutput {
    pub execution_result: RuleExecutionResult,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleExecutionDetail {
    pub pipeline_execution_id: String,
    pub rule_execution_id: String,
    pub pipeline_version: i64,
    pub stage_name: String,
    pub rule_name: String,
    pub start_time: Timestamp,
    pub last_update_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    pub status: RuleExecutionStatus,
    pub input: RuleExecutionInput,
    pub output: RuleExecutionOutput,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRuleExecutionsOutput {
    pub rule_execution_details: Vec<RuleExecutionDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `RuleExecution`: the latest run of a rule, in GetPipelineState.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleExecution {
    pub rule_execution_id: String,
    pub status: RuleExecutionStatus,
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
    pub error_details: Option<ErrorDetails>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleState {
    pub rule_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_execution: Option<RuleExecution>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionExecution {
    pub status: ConditionExecutionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub last_status_change: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_execution: Option<ConditionExecution>,
    pub rule_states: Vec<RuleState>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageConditionsExecution {
    pub status: ConditionExecutionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageConditionState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_execution: Option<StageConditionsExecution>,
    pub condition_states: Vec<ConditionState>,
}
