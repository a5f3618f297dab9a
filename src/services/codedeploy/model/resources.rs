//! The resources CodeDeploy keeps: applications, deployment groups, deployment configurations,
//! on-premises instances and application revisions, as the model's `*Info` shapes.

use serde::{Deserialize, Serialize};

use super::common::*;
use super::{
    ComputePlatform, DeploymentStatus, MinimumHealthyHostsType, OutdatedInstancesStrategy,
    TrafficRoutingType,
};
use crate::protocol::Timestamp;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationInfo {
    pub application_id: String,
    pub application_name: String,
    pub create_time: Timestamp,
    pub linked_to_git_hub: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_hub_account_name: Option<String>,
    pub compute_platform: ComputePlatform,
}

/// A group's most recent (attempted or successful) deployment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct LastDeploymentInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<DeploymentStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
}

/// A deployment group as GetDeploymentGroup shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentGroupInfo {
    pub application_name: String,
    pub deployment_group_id: String,
    pub deployment_group_name: String,
    pub deployment_config_name: String,
    #[serde(default)]
    pub ec2_tag_filters: Vec<EC2TagFilter>,
    #[serde(default)]
    pub on_premises_instance_tag_filters: Vec<TagFilter>,
    #[serde(default)]
    pub auto_scaling_groups: Vec<AutoScalingGroup>,
    pub service_role_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<RevisionLocation>,
    #[serde(default)]
    pub trigger_configurations: Vec<TriggerConfig>,
    #[serde(default)]
    pub alarm_configuration: AlarmConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    #[serde(default)]
    pub deployment_style: DeploymentStyle,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outdated_instances_strategy: Option<OutdatedInstancesStrategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blue_green_deployment_configuration: Option<BlueGreenDeploymentConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancer_info: Option<LoadBalancerInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_successful_deployment: Option<LastDeploymentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_attempted_deployment: Option<LastDeploymentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ec2_tag_set: Option<EC2TagSet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_tag_set: Option<OnPremisesTagSet>,
    #[serde(default)]
    pub compute_platform: ComputePlatform,
    #[serde(default)]
    pub ecs_services: Vec<ECSService>,
    #[serde(default)]
    pub termination_hook_enabled: bool,
}

impl DeploymentGroupInfo {
    /// Whether an on-premises instance with these tags is in the group: it matches the
    /// group's on-premises tag filters (any of them) or its on-premises tag set (every group of
    /// the set).
    pub fn selects_on_premises(&self, tags: &[Tag]) -> bool {
        matches_any(&self.on_premises_instance_tag_filters, tags)
            || self
                .on_premises_tag_set
                .as_ref()
                .is_some_and(|s| matches_set(&s.on_premises_tag_set_list, tags))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MinimumHealthyHosts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<MinimumHealthyHostsType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
}

impl MinimumHealthyHosts {
    /// How many of `total` instances must stay healthy: FLEET_PERCENT rounds up (40% of nine
    /// is four, AWS's own example); MOST_CONCURRENCY (the built-in OneAtATime) is all but one.
    pub fn healthy_required(&self, total: usize) -> usize {
        let v = self.value.unwrap_or(0).max(0) as usize;
        match self.r#type {
            Some(MinimumHealthyHostsType::HostCount) => v.min(total),
            Some(MinimumHealthyHostsType::FleetPercent) => (total * v.min(100)).div_ceil(100),
            Some(MinimumHealthyHostsType::MostConcurrency) => total.saturating_sub(v.max(1)),
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimeBasedCanary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_percentage: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_interval: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimeBasedLinear {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linear_percentage: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linear_interval: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRoutingConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<TrafficRoutingType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_based_canary: Option<TimeBasedCanary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_based_linear: Option<TimeBasedLinear>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ZonalConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_zone_monitor_duration_in_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_duration_in_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_healthy_hosts_per_zone: Option<MinimumHealthyHosts>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfigInfo {
    pub deployment_config_id: String,
    pub deployment_config_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_healthy_hosts: Option<MinimumHealthyHosts>,
    pub create_time: Timestamp,
    pub compute_platform: ComputePlatform,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic_routing_config: Option<TrafficRoutingConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zonal_config: Option<ZonalConfig>,
}

/// An on-premises instance; a deregistered one keeps its record with `deregisterTime`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct InstanceInfo {
    pub instance_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_session_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_user_arn: Option<String>,
    pub instance_arn: String,
    pub register_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deregister_time: Option<Timestamp>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct GenericRevisionInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub deployment_groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_used_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_time: Option<Timestamp>,
    pub register_time: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RevisionInfo {
    pub revision_location: RevisionLocation,
    pub generic_revision_info: GenericRevisionInfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mhh(t: MinimumHealthyHostsType, v: i64) -> MinimumHealthyHosts {
        MinimumHealthyHosts {
            r#type: Some(t),
            value: Some(v),
        }
    }

    #[test]
    fn minimum_healthy_hosts_as_aws_counts_them() {
        assert_eq!(
            mhh(MinimumHealthyHostsType::HostCount, 6).healthy_required(9),
            6
        );
        assert_eq!(
            mhh(MinimumHealthyHostsType::FleetPercent, 40).healthy_required(9),
            4
        );
        assert_eq!(
            mhh(MinimumHealthyHostsType::MostConcurrency, 1).healthy_required(9),
            8
        );
        assert_eq!(
            mhh(MinimumHealthyHostsType::HostCount, 0).healthy_required(3),
            0
        );
    }

    #[test]
    fn a_group_selects_instances_by_its_on_premises_filters() {
        let group = DeploymentGroupInfo {
            on_premises_instance_tag_filters: vec![TagFilter {
                key: Some("env".into()),
                value: Some("prod".into()),
                r#type: Some(crate::services::codedeploy::model::TagFilterType::KeyAndValue),
            }],
            ..Default::default()
        };
        let tags = vec![Tag {
            key: Some("env".into()),
            value: Some("prod".into()),
        }];
        assert!(group.selects_on_premises(&tags));
        assert!(!group.selects_on_premises(&[]));
        let json = serde_json::to_value(&group).unwrap();
        assert_eq!(
            json["onPremisesInstanceTagFilters"][0]["Type"],
            "KEY_AND_VALUE"
        );
        assert_eq!(json["ec2TagFilters"], serde_json::json!([]));
    }
}
