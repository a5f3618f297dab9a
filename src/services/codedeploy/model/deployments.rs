//! Deployments (`DeploymentInfo`) and their targets: `InstanceTarget` with its lifecycle
//! events, written by the runner, and the older `InstanceSummary` view of the same data.

use serde::{Deserialize, Serialize};

use super::common::*;
use super::{
    ComputePlatform, DeploymentCreator, DeploymentStatus, DeploymentTargetType, ErrorCode,
    FileExistsBehavior, LifecycleErrorCode, LifecycleEventStatus, TargetLabel, TargetStatus,
};
use crate::protocol::Timestamp;

/// How many targets are in each state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentOverview {
    pub pending: i64,
    pub in_progress: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub skipped: i64,
    pub ready: i64,
}

impl DeploymentOverview {
    /// The counts of a list of targets (an `Unknown` target counts nowhere).
    pub fn of(targets: &[InstanceTarget]) -> Self {
        let mut o = DeploymentOverview::default();
        for t in targets {
            match t.status {
                TargetStatus::Pending => o.pending += 1,
                TargetStatus::InProgress => o.in_progress += 1,
                TargetStatus::Succeeded => o.succeeded += 1,
                TargetStatus::Failed => o.failed += 1,
                TargetStatus::Skipped => o.skipped += 1,
                TargetStatus::Ready => o.ready += 1,
                _ => {}
            }
        }
        o
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInformation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ErrorInformation {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorInformation {
            code: Some(code),
            message: Some(message.into()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RollbackInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_triggering_deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RelatedDeployments {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_update_outdated_instances_root_deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_update_outdated_instances_deployment_ids: Option<Vec<String>>,
}

/// A deployment as GetDeployment shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentInfo {
    pub application_name: String,
    pub deployment_group_name: String,
    pub deployment_config_name: String,
    pub deployment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_revision: Option<RevisionLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<RevisionLocation>,
    pub status: DeploymentStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_information: Option<ErrorInformation>,
    pub create_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_time: Option<Timestamp>,
    #[serde(default)]
    pub deployment_overview: DeploymentOverview,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub creator: DeploymentCreator,
    #[serde(default)]
    pub ignore_application_stop_failures: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    #[serde(default)]
    pub update_outdated_instances_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_info: Option<RollbackInfo>,
    #[serde(default)]
    pub deployment_style: DeploymentStyle,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_instances: Option<TargetInstances>,
    #[serde(default)]
    pub instance_termination_wait_time_started: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blue_green_deployment_configuration: Option<BlueGreenDeploymentConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer_info: Option<LoadBalancerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_deployment_status_info: Option<String>,
    #[serde(default)]
    pub file_exists_behavior: FileExistsBehavior,
    #[serde(default)]
    pub deployment_status_messages: Vec<String>,
    #[serde(default)]
    pub compute_platform: ComputePlatform,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_deployments: Option<RelatedDeployments>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_alarm_configuration: Option<AlarmConfiguration>,
}

/// What a lifecycle event's script did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics {
    #[serde(default)]
    pub error_code: LifecycleErrorCode,
    #[serde(default)]
    pub script_name: String,
    #[serde(default)]
    pub message: String,
    /// The last lines of the script's output (AWS keeps up to 4 KB).
    #[serde(default)]
    pub log_tail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleEvent {
    pub lifecycle_event_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Diagnostics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    #[serde(default)]
    pub status: LifecycleEventStatus,
}

/// One instance of a deployment (EC2/on-premises), with its lifecycle events.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct InstanceTarget {
    pub deployment_id: String,
    /// The instance's id (for an on-premises instance, its name).
    pub target_id: String,
    pub target_arn: String,
    #[serde(default)]
    pub status: TargetStatus,
    pub last_updated_at: Timestamp,
    #[serde(default)]
    pub lifecycle_events: Vec<LifecycleEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_label: Option<TargetLabel>,
}

/// A target as BatchGetDeploymentTargets and GetDeploymentTarget show it (simfra has instance
/// targets only: Server deployments).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentTarget {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_target_type: Option<DeploymentTargetType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_target: Option<InstanceTarget>,
}

impl From<InstanceTarget> for DeploymentTarget {
    fn from(t: InstanceTarget) -> Self {
        DeploymentTarget {
            deployment_target_type: Some(DeploymentTargetType::InstanceTarget),
            instance_target: Some(t),
        }
    }
}

/// The older, deprecated view of a deployment's instance (GetDeploymentInstance).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct InstanceSummary {
    pub deployment_id: String,
    pub instance_id: String,
    pub status: TargetStatus,
    pub last_updated_at: Timestamp,
    #[serde(default)]
    pub lifecycle_events: Vec<LifecycleEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<TargetLabel>,
}

impl From<InstanceTarget> for InstanceSummary {
    fn from(t: InstanceTarget) -> Self {
        InstanceSummary {
            deployment_id: t.deployment_id,
            instance_id: t.target_id,
            status: t.status,
            last_updated_at: t.last_updated_at,
            lifecycle_events: t.lifecycle_events,
            instance_type: t.instance_label,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overview_and_targets_use_the_wire_names() {
        let t = InstanceTarget {
            deployment_id: "d-ABCDEFGHI".into(),
            target_id: "web-1".into(),
            target_arn: "arn:aws:codedeploy:us-east-1:000000000000:instance/web-1".into(),
            status: TargetStatus::Succeeded,
            last_updated_at: Timestamp(1_000),
            lifecycle_events: vec![LifecycleEvent {
                lifecycle_event_name: "BeforeInstall".into(),
                diagnostics: Some(Diagnostics {
                    message: "Succeeded".into(),
                    ..Default::default()
                }),
                status: LifecycleEventStatus::Succeeded,
                ..Default::default()
            }],
            instance_label: None,
        };
        let o = DeploymentOverview::of(std::slice::from_ref(&t));
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["Succeeded"], 1);
        assert_eq!(json["InProgress"], 0);
        let json = serde_json::to_value(DeploymentTarget::from(t.clone())).unwrap();
        assert_eq!(json["deploymentTargetType"], "InstanceTarget");
        let ev = &json["instanceTarget"]["lifecycleEvents"][0];
        assert_eq!(ev["diagnostics"]["errorCode"], "Success");
        assert_eq!(ev["status"], "Succeeded");
        let s = InstanceSummary::from(t);
        assert_eq!(s.instance_id, "web-1");
    }
}
