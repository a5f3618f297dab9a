//! Structures shared by several CodeDeploy shapes: tags and tag filters, revision locations,
//! and the deployment-group settings a deployment copies (rollback, alarms, triggers, style,
//! load balancers, blue/green options, target instances).

use serde::{Deserialize, Serialize};

use super::{
    AutoRollbackEvent, BundleType, DeploymentOption, DeploymentReadyAction, DeploymentType,
    GreenFleetProvisioningAction, InstanceAction, RevisionLocationType, TagFilterType,
    TriggerEventType,
};

/// A resource tag (`Key`/`Value`, capitalised as the model spells them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An on-premises instance tag filter (`TagFilter`) or an EC2 one (`EC2TagFilter`): the same
/// members.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TagFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<TagFilterType>,
}

pub type EC2TagFilter = TagFilter;

impl TagFilter {
    /// Whether an instance with these tags matches the filter (KEY_ONLY: the key is there;
    /// VALUE_ONLY: some tag has the value; KEY_AND_VALUE: that key with that value).
    pub fn matches(&self, tags: &[Tag]) -> bool {
        let key = self.key.as_deref().unwrap_or_default();
        let value = self.value.as_deref().unwrap_or_default();
        let tag_value = |t: &Tag| t.value.as_deref().unwrap_or_default().to_string();
        match self.r#type {
            Some(TagFilterType::KeyOnly) => tags.iter().any(|t| t.key.as_deref() == Some(key)),
            Some(TagFilterType::ValueOnly) => tags.iter().any(|t| tag_value(t) == value),
            Some(TagFilterType::KeyAndValue) => tags
                .iter()
                .any(|t| t.key.as_deref() == Some(key) && tag_value(t) == value),
            _ => false,
        }
    }
}

/// Whether tags match a list of filters: any one filter is enough (the filters of one list are
/// ORed, as AWS does).
pub fn matches_any(filters: &[TagFilter], tags: &[Tag]) -> bool {
    filters.iter().any(|f| f.matches(tags))
}

/// Whether tags match a tag set: every group must match (groups are ANDed, the filters of a
/// group ORed).
pub fn matches_set(groups: &[Vec<TagFilter>], tags: &[Tag]) -> bool {
    !groups.is_empty() && groups.iter().all(|g| matches_any(g, tags))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct EC2TagSet {
    #[serde(default)]
    pub ec2_tag_set_list: Vec<Vec<TagFilter>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesTagSet {
    #[serde(default)]
    pub on_premises_tag_set_list: Vec<Vec<TagFilter>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle_type: Option<BundleType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct GitHubLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_id: Option<String>,
}

/// `RawString` and `AppSpecContent`: an AppSpec given inline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawString {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Where a revision is: an S3 bundle, a GitHub commit, or an AppSpec given inline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RevisionLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_type: Option<RevisionLocationType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_location: Option<S3Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_hub_location: Option<GitHubLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string: Option<RawString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_spec_content: Option<RawString>,
}

impl RevisionLocation {
    /// An S3 bundle.
    pub fn s3(bucket: &str, key: &str, bundle_type: BundleType) -> Self {
        RevisionLocation {
            revision_type: Some(RevisionLocationType::S3),
            s3_location: Some(S3Location {
                bucket: Some(bucket.into()),
                key: Some(key.into()),
                bundle_type: Some(bundle_type),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// What identifies a revision of an application: its type and the members of its location
    /// (two registrations of the same location are the same revision).
    pub fn identity(&self) -> String {
        use crate::protocol::AwsEnum;
        let o = |s: &Option<String>| s.clone().unwrap_or_default();
        let ty = self.revision_type.as_ref().map(|t| t.as_str().to_string());
        match self.revision_type {
            Some(RevisionLocationType::S3) => {
                let s = self.s3_location.clone().unwrap_or_default();
                let bundle = s.bundle_type.as_ref().map(|b| b.as_str().to_string());
                format!(
                    "S3|{}|{}|{}|{}|{}",
                    o(&s.bucket),
                    o(&s.key),
                    o(&bundle),
                    o(&s.version),
                    o(&s.e_tag)
                )
            }
            Some(RevisionLocationType::GitHub) => {
                let g = self.git_hub_location.clone().unwrap_or_default();
                format!("GitHub|{}|{}", o(&g.repository), o(&g.commit_id))
            }
            _ => {
                let raw = self
                    .string
                    .clone()
                    .or_else(|| self.app_spec_content.clone())
                    .unwrap_or_default();
                let digest = <sha2::Sha256 as sha2::Digest>::digest(o(&raw.content).as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                format!("{}|{hex}", o(&ty))
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct AutoRollbackConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<AutoRollbackEvent>>,
}

impl AutoRollbackConfiguration {
    /// Whether rollback is on for this event.
    pub fn rolls_back_on(&self, event: &AutoRollbackEvent) -> bool {
        self.enabled == Some(true) && self.events.iter().flatten().any(|e| e == event)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Alarm {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct AlarmConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_poll_alarm_failure: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<Vec<Alarm>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TriggerConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_target_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_events: Option<Vec<TriggerEventType>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStyle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_type: Option<DeploymentType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_option: Option<DeploymentOption>,
}

impl DeploymentStyle {
    /// AWS's default: in place, without traffic control.
    pub fn in_place() -> Self {
        DeploymentStyle {
            deployment_type: Some(DeploymentType::InPlace),
            deployment_option: Some(DeploymentOption::WithoutTrafficControl),
        }
    }

    pub fn is_blue_green(&self) -> bool {
        self.deployment_type == Some(DeploymentType::BlueGreen)
    }
}

/// `ELBInfo`, `TargetGroupInfo`: a load balancer or target group by name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct NamedResource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRoute {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_arns: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupPairInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_groups: Option<Vec<NamedResource>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prod_traffic_route: Option<TrafficRoute>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_traffic_route: Option<TrafficRoute>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elb_info_list: Option<Vec<NamedResource>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_info_list: Option<Vec<NamedResource>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_pair_info_list: Option<Vec<TargetGroupPairInfo>>,
}

impl LoadBalancerInfo {
    pub fn is_empty(&self) -> bool {
        self.elb_info_list.iter().flatten().next().is_none()
            && self
                .target_group_info_list
                .iter()
                .flatten()
                .next()
                .is_none()
            && self
                .target_group_pair_info_list
                .iter()
                .flatten()
                .next()
                .is_none()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct BlueInstanceTerminationOption {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<InstanceAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_wait_time_in_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentReadyOption {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_on_timeout: Option<DeploymentReadyAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_time_in_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct GreenFleetProvisioningOption {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<GreenFleetProvisioningAction>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreenDeploymentConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminate_blue_instances_on_deployment_success: Option<BlueInstanceTerminationOption>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_ready_option: Option<DeploymentReadyOption>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub green_fleet_provisioning_option: Option<GreenFleetProvisioningOption>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_hook: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ECSService {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
}

/// The instances of a blue/green deployment's replacement environment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TargetInstances {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_filters: Option<Vec<TagFilter>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_groups: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ec2_tag_set: Option<EC2TagSet>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: Some(k.into()),
            value: Some(v.into()),
        }
    }

    fn filter(k: &str, v: &str, t: TagFilterType) -> TagFilter {
        TagFilter {
            key: Some(k.into()),
            value: Some(v.into()),
            r#type: Some(t),
        }
    }

    #[test]
    fn tag_filters_match_as_aws_documents() {
        let tags = [tag("env", "prod"), tag("role", "web")];
        assert!(filter("env", "", TagFilterType::KeyOnly).matches(&tags));
        assert!(filter("", "web", TagFilterType::ValueOnly).matches(&tags));
        assert!(filter("env", "prod", TagFilterType::KeyAndValue).matches(&tags));
        assert!(!filter("env", "dev", TagFilterType::KeyAndValue).matches(&tags));
        let any = [
            filter("env", "dev", TagFilterType::KeyAndValue),
            filter("role", "web", TagFilterType::KeyAndValue),
        ];
        assert!(matches_any(&any, &tags));
        let set = vec![
            vec![filter("env", "prod", TagFilterType::KeyAndValue)],
            vec![filter("role", "db", TagFilterType::KeyAndValue)],
        ];
        assert!(!matches_set(&set, &tags));
        assert!(matches_set(&set[..1], &tags));
    }

    #[test]
    fn revision_identity_names_the_location() {
        let a = RevisionLocation::s3("b", "k.zip", BundleType::Zip);
        let mut b = a.clone();
        assert_eq!(a.identity(), b.identity());
        b.s3_location.as_mut().unwrap().version = Some("v2".into());
        assert_ne!(a.identity(), b.identity());
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["revisionType"], "S3");
        assert_eq!(json["s3Location"]["bundleType"], "zip");
    }
}
