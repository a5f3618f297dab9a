//! The input and output of the deployment operations: deployments, their targets and
//! instances, and resource tags. Required members as in `io.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::common::*;
use super::deployments::*;
use super::{
    DeploymentStatus, DeploymentWaitType, FileExistsBehavior, StopStatus, TargetLabel, TargetStatus,
};
use crate::protocol::Timestamp;

// --- Deployments ---

/// CreateDeployment; also what the runner (rollbacks) and the pipeline action send.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeploymentInput {
    #[serde(default)]
    pub application_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<RevisionLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_config_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_application_stop_failures: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_instances: Option<TargetInstances>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_outdated_instances_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_exists_behavior: Option<FileExistsBehavior>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_alarm_configuration: Option<AlarmConfiguration>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeploymentOutput {
    pub deployment_id: String,
}

/// GetDeployment.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentIdInput {
    #[serde(default)]
    pub deployment_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDeploymentOutput {
    pub deployment_info: DeploymentInfo,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetDeploymentsInput {
    pub deployment_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetDeploymentsOutput {
    pub deployments_info: Vec<DeploymentInfo>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimeRange {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentsInput {
    pub application_name: Option<String>,
    pub deployment_group_name: Option<String>,
    pub external_id: Option<String>,
    pub include_only_statuses: Option<Vec<DeploymentStatus>>,
    pub create_time_range: Option<TimeRange>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentsOutput {
    pub deployments: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StopDeploymentInput {
    #[serde(default)]
    pub deployment_id: String,
    pub auto_rollback_enabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopDeploymentOutput {
    pub status: StopStatus,
    pub status_message: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContinueDeploymentInput {
    #[serde(default)]
    pub deployment_id: String,
    pub deployment_wait_type: Option<DeploymentWaitType>,
}

// --- Targets and instances of a deployment ---

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentTargetsInput {
    #[serde(default)]
    pub deployment_id: String,
    pub next_token: Option<String>,
    /// `TargetStatus` and `ServerInstanceLabel` filters.
    pub target_filters: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentTargetsOutput {
    pub target_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetDeploymentTargetsInput {
    #[serde(default)]
    pub deployment_id: String,
    pub target_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetDeploymentTargetsOutput {
    pub deployment_targets: Vec<DeploymentTarget>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetDeploymentTargetInput {
    #[serde(default)]
    pub deployment_id: String,
    #[serde(default)]
    pub target_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDeploymentTargetOutput {
    pub deployment_target: DeploymentTarget,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentInstancesInput {
    #[serde(default)]
    pub deployment_id: String,
    pub next_token: Option<String>,
    pub instance_status_filter: Option<Vec<TargetStatus>>,
    pub instance_type_filter: Option<Vec<TargetLabel>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentInstancesOutput {
    pub instances_list: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetDeploymentInstanceInput {
    #[serde(default)]
    pub deployment_id: String,
    #[serde(default)]
    pub instance_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDeploymentInstanceOutput {
    pub instance_summary: InstanceSummary,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetDeploymentInstancesInput {
    #[serde(default)]
    pub deployment_id: String,
    pub instance_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetDeploymentInstancesOutput {
    pub instances_summary: Vec<InstanceSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

// --- Resource tags (members capitalised, as the model spells them) ---

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    #[serde(default)]
    pub resource_arn: String,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    #[serde(default)]
    pub resource_arn: String,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceInput {
    #[serde(default)]
    pub resource_arn: String,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceOutput {
    pub tags: Vec<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::decode;

    #[test]
    fn tag_members_are_capitalised() {
        let i: TagResourceInput =
            decode(br#"{"ResourceArn":"arn","Tags":[{"Key":"a","Value":"b"}]}"#).unwrap();
        assert_eq!(i.resource_arn, "arn");
        assert_eq!(i.tags.unwrap()[0].value.as_deref(), Some("b"));
        let out = ListTagsForResourceOutput {
            tags: vec![],
            next_token: None,
        };
        assert_eq!(serde_json::to_string(&out).unwrap(), r#"{"Tags":[]}"#);
    }
}
