//! The input and output of the resource operations (applications, groups, configurations,
//! on-premises instances, revisions). Members the model marks required are plain `String`s
//! defaulting to empty (an absent or empty one is answered with the model's `*RequiredException`
//! by the handler, as CodeDeploy does); everything else is optional.

use serde::{Deserialize, Serialize};

use super::common::*;
use super::resources::*;
use super::{
    ApplicationRevisionSortBy, ComputePlatform, ListStateFilterAction, OutdatedInstancesStrategy,
    RegistrationStatus, SortOrder,
};

/// An output with no members.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Empty {}

/// The input of the list operations that take only a token.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NextTokenInput {
    pub next_token: Option<String>,
}

// --- Applications ---

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateApplicationInput {
    #[serde(default)]
    pub application_name: String,
    pub compute_platform: Option<ComputePlatform>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateApplicationOutput {
    pub application_id: String,
}

/// GetApplication, DeleteApplication.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationNameInput {
    #[serde(default)]
    pub application_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetApplicationOutput {
    pub application: ApplicationInfo,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateApplicationInput {
    pub application_name: Option<String>,
    pub new_application_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListApplicationsOutput {
    pub applications: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetApplicationsInput {
    pub application_names: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetApplicationsOutput {
    pub applications_info: Vec<ApplicationInfo>,
}

// --- Deployment groups ---

/// The settings CreateDeploymentGroup and UpdateDeploymentGroup share.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GroupSettings {
    pub deployment_config_name: Option<String>,
    pub ec2_tag_filters: Option<Vec<EC2TagFilter>>,
    pub on_premises_instance_tag_filters: Option<Vec<TagFilter>>,
    pub auto_scaling_groups: Option<Vec<String>>,
    pub service_role_arn: Option<String>,
    pub trigger_configurations: Option<Vec<TriggerConfig>>,
    pub alarm_configuration: Option<AlarmConfiguration>,
    pub auto_rollback_configuration: Option<AutoRollbackConfiguration>,
    pub outdated_instances_strategy: Option<OutdatedInstancesStrategy>,
    pub deployment_style: Option<DeploymentStyle>,
    pub blue_green_deployment_configuration: Option<BlueGreenDeploymentConfiguration>,
    pub load_balancer_info: Option<LoadBalancerInfo>,
    pub ec2_tag_set: Option<EC2TagSet>,
    pub ecs_services: Option<Vec<ECSService>>,
    pub on_premises_tag_set: Option<OnPremisesTagSet>,
    pub termination_hook_enabled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeploymentGroupInput {
    #[serde(default)]
    pub application_name: String,
    #[serde(default)]
    pub deployment_group_name: String,
    #[serde(flatten)]
    pub settings: GroupSettings,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeploymentGroupOutput {
    pub deployment_group_id: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDeploymentGroupInput {
    #[serde(default)]
    pub application_name: String,
    #[serde(default)]
    pub current_deployment_group_name: String,
    pub new_deployment_group_name: Option<String>,
    #[serde(flatten)]
    pub settings: GroupSettings,
}

/// UpdateDeploymentGroup and DeleteDeploymentGroup: the Auto Scaling hooks left behind (none:
/// simfra has no Auto Scaling groups).
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HooksOutput {
    pub hooks_not_cleaned_up: Vec<AutoScalingGroup>,
}

/// GetDeploymentGroup, DeleteDeploymentGroup.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GroupNameInput {
    #[serde(default)]
    pub application_name: String,
    #[serde(default)]
    pub deployment_group_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDeploymentGroupOutput {
    pub deployment_group_info: DeploymentGroupInfo,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentGroupsInput {
    #[serde(default)]
    pub application_name: String,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentGroupsOutput {
    pub application_name: String,
    pub deployment_groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetDeploymentGroupsInput {
    #[serde(default)]
    pub application_name: String,
    pub deployment_group_names: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetDeploymentGroupsOutput {
    pub deployment_groups_info: Vec<DeploymentGroupInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

// --- Deployment configurations ---

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeploymentConfigInput {
    #[serde(default)]
    pub deployment_config_name: String,
    pub minimum_healthy_hosts: Option<MinimumHealthyHosts>,
    pub traffic_routing_config: Option<TrafficRoutingConfig>,
    pub compute_platform: Option<ComputePlatform>,
    pub zonal_config: Option<ZonalConfig>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeploymentConfigOutput {
    pub deployment_config_id: String,
}

/// GetDeploymentConfig, DeleteDeploymentConfig.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ConfigNameInput {
    #[serde(default)]
    pub deployment_config_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDeploymentConfigOutput {
    pub deployment_config_info: DeploymentConfigInfo,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDeploymentConfigsOutput {
    pub deployment_configs_list: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// --- On-premises instances ---

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RegisterOnPremisesInstanceInput {
    #[serde(default)]
    pub instance_name: String,
    pub iam_session_arn: Option<String>,
    pub iam_user_arn: Option<String>,
}

/// DeregisterOnPremisesInstance, GetOnPremisesInstance.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InstanceNameInput {
    #[serde(default)]
    pub instance_name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetOnPremisesInstanceOutput {
    pub instance_info: InstanceInfo,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListOnPremisesInstancesInput {
    pub registration_status: Option<RegistrationStatus>,
    pub tag_filters: Option<Vec<TagFilter>>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOnPremisesInstancesOutput {
    pub instance_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InstanceNamesInput {
    pub instance_names: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetOnPremisesInstancesOutput {
    pub instance_infos: Vec<InstanceInfo>,
}

/// AddTagsToOnPremisesInstances, RemoveTagsFromOnPremisesInstances.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct InstanceTagsInput {
    pub tags: Option<Vec<Tag>>,
    pub instance_names: Option<Vec<String>>,
}

// --- Revisions ---

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RegisterApplicationRevisionInput {
    #[serde(default)]
    pub application_name: String,
    pub description: Option<String>,
    pub revision: Option<RevisionLocation>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetApplicationRevisionInput {
    #[serde(default)]
    pub application_name: String,
    pub revision: Option<RevisionLocation>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetApplicationRevisionOutput {
    pub application_name: String,
    pub revision: RevisionLocation,
    pub revision_info: GenericRevisionInfo,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListApplicationRevisionsInput {
    #[serde(default)]
    pub application_name: String,
    pub sort_by: Option<ApplicationRevisionSortBy>,
    pub sort_order: Option<SortOrder>,
    pub s3_bucket: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub deployed: Option<ListStateFilterAction>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListApplicationRevisionsOutput {
    pub revisions: Vec<RevisionLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetApplicationRevisionsInput {
    #[serde(default)]
    pub application_name: String,
    pub revisions: Option<Vec<RevisionLocation>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetApplicationRevisionsOutput {
    pub application_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    pub revisions: Vec<RevisionInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::decode;

    #[test]
    fn group_inputs_decode_shared_settings() {
        let i: UpdateDeploymentGroupInput = decode(
            br#"{"applicationName":"a","currentDeploymentGroupName":"g",
                 "newDeploymentGroupName":"h","serviceRoleArn":"arn:aws:iam::1:role/r",
                 "deploymentStyle":{"deploymentType":"IN_PLACE"},
                 "onPremisesInstanceTagFilters":[{"Key":"k","Value":"v","Type":"KEY_AND_VALUE"}],
                 "somethingNew":1}"#,
        )
        .unwrap();
        assert_eq!(i.new_deployment_group_name.as_deref(), Some("h"));
        assert_eq!(
            i.settings.service_role_arn.as_deref(),
            Some("arn:aws:iam::1:role/r")
        );
        assert_eq!(
            i.settings.on_premises_instance_tag_filters.unwrap()[0]
                .key
                .as_deref(),
            Some("k")
        );
    }

    #[test]
    fn flattened_settings_report_bad_members() {
        let e = decode::<CreateDeploymentGroupInput>(
            br#"{"applicationName":"a","deploymentGroupName":"g","deploymentStyle":5}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let i: CreateDeploymentGroupInput = decode(
            br#"{"applicationName":"a","deploymentGroupName":"g","terminationHookEnabled":true,
                 "blueGreenDeploymentConfiguration":{"deploymentReadyOption":{"waitTimeInMinutes":5}},
                 "deploymentStyle":{"deploymentType":"SIDEWAYS"}}"#,
        )
        .unwrap();
        assert_eq!(i.settings.termination_hook_enabled, Some(true));
        let bg = i.settings.blue_green_deployment_configuration.unwrap();
        assert_eq!(
            bg.deployment_ready_option.unwrap().wait_time_in_minutes,
            Some(5)
        );
        assert_eq!(
            i.settings.deployment_style.unwrap().deployment_type,
            Some(super::super::DeploymentType::Unknown("SIDEWAYS".into()))
        );
    }
}
