//! Request validation for CodeDeploy. CodeDeploy has no generic ValidationException: each rule
//! it breaks has its own exception (`ApplicationNameRequiredException`,
//! `InvalidDeploymentStyleException`, ...), so every check here answers the model's exception
//! for that member, with a message that names the member and the value.

use super::errors::{Code, CodeDeployError as E, Result};
use super::model::*;
use crate::protocol::AwsEnum;

/// Names of applications, deployment groups and configurations: 1 to 100 characters.
const NAME_MAX: usize = 100;
/// What CodeDeploy keeps of a description (deployments, revisions).
pub const DESCRIPTION_MAX: usize = 256;
/// Resource tags (TagResource, CreateApplication, CreateDeploymentGroup).
pub const RESOURCE_TAGS_MAX: usize = 50;
/// Tags of one on-premises instance.
pub const INSTANCE_TAGS_MAX: usize = 10;
/// Tag groups in an `ec2TagSet` / `onPremisesTagSet`.
pub const TAG_SET_MAX: usize = 3;
/// Alarms and triggers of one deployment group.
pub const ALARMS_MAX: usize = 10;
pub const TRIGGERS_MAX: usize = 10;

fn err(code: Code, message: impl Into<String>) -> E {
    E::new(code, message)
}

fn name(v: &str, what: &str, required: Code, invalid: Code) -> Result<()> {
    if v.is_empty() {
        return Err(err(required, format!("{what} is required")));
    }
    let n = v.chars().count();
    if n > NAME_MAX || v.chars().any(char::is_control) {
        return Err(err(
            invalid,
            format!("{what} '{v}' is invalid: it must have 1 to {NAME_MAX} characters and no control characters"),
        ));
    }
    Ok(())
}

pub fn application_name(v: &str) -> Result<()> {
    name(
        v,
        "Application name",
        Code::ApplicationNameRequired,
        Code::InvalidApplicationName,
    )
}

pub fn group_name(v: &str) -> Result<()> {
    name(
        v,
        "Deployment group name",
        Code::DeploymentGroupNameRequired,
        Code::InvalidDeploymentGroupName,
    )
}

pub fn config_name(v: &str) -> Result<()> {
    name(
        v,
        "Deployment config name",
        Code::DeploymentConfigNameRequired,
        Code::InvalidDeploymentConfigName,
    )
}

/// `d-` and 9 upper-case letters or digits.
pub fn is_deployment_id(s: &str) -> bool {
    s.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

pub fn deployment_id(v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(err(Code::DeploymentIdRequired, "Deployment ID is required"));
    }
    if !is_deployment_id(v) {
        return Err(err(
            Code::InvalidDeploymentId,
            format!(
                "Deployment ID '{v}' is not in a valid format (d- followed by 9 letters or digits)"
            ),
        ));
    }
    Ok(())
}

/// A fresh deployment id: `d-` and 9 random upper-case letters or digits.
pub fn new_deployment_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let tail: String = bytes[..9]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("d-{tail}")
}

/// On-premises instance names: 1 to 100 letters, digits and `.-_@`.
pub fn instance_name(v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(err(
            Code::InstanceNameRequired,
            "An on-premises instance name is required",
        ));
    }
    let ok = v.chars().count() <= NAME_MAX
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c));
    if !ok {
        return Err(err(
            Code::InvalidInstanceName,
            format!("The on-premises instance name '{v}' is invalid: use 1 to {NAME_MAX} letters, digits, '.', '-', '_' or '@'"),
        ));
    }
    Ok(())
}

/// `arn:<partition>:<service>::<12 digits>:<resource>` with the resource starting `prefix`.
fn is_arn(s: &str, service: &str, prefix: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == service
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].len() > prefix.len()
        && parts[5].starts_with(prefix)
}

/// A deployment group's service role: required, and an IAM role ARN.
pub fn service_role(v: Option<&str>) -> Result<()> {
    match v {
        None | Some("") => Err(err(Code::RoleRequired, "A service role ARN is required")),
        Some(r) if !is_arn(r, "iam", "role/") => Err(err(
            Code::InvalidRole,
            format!("The service role ARN '{r}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
        )),
        Some(_) => Ok(()),
    }
}

pub fn iam_user_arn(v: &str) -> Result<()> {
    if !is_arn(v, "iam", "user/") {
        return Err(err(
            Code::InvalidIamUserArn,
            format!("The IAM user ARN '{v}' is invalid (arn:aws:iam::<account>:user/<name>)"),
        ));
    }
    Ok(())
}

pub fn iam_session_arn(v: &str) -> Result<()> {
    if !is_arn(v, "sts", "assumed-role/") {
        return Err(err(
            Code::InvalidIamSessionArn,
            format!("The IAM session ARN '{v}' is invalid (arn:aws:sts::<account>:assumed-role/<role>/<session>)"),
        ));
    }
    Ok(())
}

pub fn compute_platform(p: &ComputePlatform) -> Result<()> {
    if !p.is_known() {
        return Err(err(
            Code::InvalidComputePlatform,
            format!(
                "The computePlatform '{p}' is invalid. The computePlatform should be Lambda, Server, or ECS."
            ),
        ));
    }
    Ok(())
}

pub fn description(d: Option<&str>) -> Result<()> {
    match d {
        Some(d) if d.chars().count() > DESCRIPTION_MAX => Err(err(
            Code::DescriptionTooLong,
            format!("The description is too long: at most {DESCRIPTION_MAX} characters"),
        )),
        _ => Ok(()),
    }
}

/// Tags of a resource (application, group, configuration): keys of 1 to 128 characters, values
/// of at most 256, at most 50 tags.
pub fn resource_tags(tags: &[Tag]) -> Result<()> {
    if tags.len() > RESOURCE_TAGS_MAX {
        return Err(err(
            Code::InvalidTagsToAdd,
            format!("A resource can have at most {RESOURCE_TAGS_MAX} tags"),
        ));
    }
    for t in tags {
        let k = t.key.as_deref().unwrap_or_default();
        let v = t.value.as_deref().unwrap_or_default();
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(err(
                Code::InvalidTagsToAdd,
                format!(
                    "The tag '{k}' is invalid: keys have 1 to 128 characters, values at most 256"
                ),
            ));
        }
        if k.starts_with("aws:") {
            return Err(err(
                Code::InvalidTagsToAdd,
                format!("The tag key '{k}' uses the reserved prefix 'aws:'"),
            ));
        }
    }
    Ok(())
}

/// Tags of on-premises instances (AddTagsToOnPremisesInstances and its inverse).
pub fn instance_tags(tags: &[Tag]) -> Result<()> {
    if tags.is_empty() {
        return Err(err(Code::TagRequired, "At least one tag is required"));
    }
    if tags.len() > INSTANCE_TAGS_MAX {
        return Err(err(
            Code::TagLimitExceeded,
            format!("An on-premises instance can have at most {INSTANCE_TAGS_MAX} tags"),
        ));
    }
    for t in tags {
        let k = t.key.as_deref().unwrap_or_default();
        if k.is_empty()
            || k.chars().count() > 128
            || t.value.as_deref().unwrap_or_default().chars().count() > 256
        {
            return Err(err(
                Code::InvalidTag,
                format!(
                    "The tag '{k}' is invalid: keys have 1 to 128 characters, values at most 256"
                ),
            ));
        }
    }
    Ok(())
}

/// Tag filters: a known type, and the key and/or value that type needs. `code` is the
/// exception of the member (`InvalidEC2TagException`, `InvalidTagException`,
/// `InvalidTagFilterException`).
pub fn tag_filters(filters: &[TagFilter], member: &str, code: Code) -> Result<()> {
    for (i, f) in filters.iter().enumerate() {
        let has_key = f.key.as_deref().is_some_and(|k| !k.is_empty());
        let has_value = f.value.as_deref().is_some_and(|v| !v.is_empty());
        let ok = match &f.r#type {
            Some(TagFilterType::KeyOnly) => has_key,
            Some(TagFilterType::ValueOnly) => has_value,
            Some(TagFilterType::KeyAndValue) => has_key && has_value,
            _ => false,
        };
        if !ok {
            let ty = f.r#type.as_ref().map_or("null", |t| t.as_str());
            return Err(err(
                code,
                format!(
                    "{member}[{}] is invalid: Type '{ty}' must be KEY_ONLY (with Key), VALUE_ONLY (with Value) or KEY_AND_VALUE (with both)",
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// A tag set: at most three groups of valid filters.
pub fn tag_set(groups: &[Vec<TagFilter>], member: &str, code: Code) -> Result<()> {
    if groups.len() > TAG_SET_MAX {
        return Err(err(
            Code::TagSetListLimitExceeded,
            format!(
                "{member} has {} tag groups; the limit is {TAG_SET_MAX}",
                groups.len()
            ),
        ));
    }
    groups.iter().try_for_each(|g| tag_filters(g, member, code))
}

pub fn auto_rollback(c: &AutoRollbackConfiguration) -> Result<()> {
    let events = c.events.as_deref().unwrap_or_default();
    if let Some(bad) = events.iter().find(|e| !e.is_known()) {
        return Err(err(
            Code::InvalidAutoRollbackConfig,
            format!(
                "The automatic rollback event '{bad}' is invalid: use one of [{}]",
                AutoRollbackEvent::VALUES.join(", ")
            ),
        ));
    }
    if c.enabled == Some(true) && events.is_empty() {
        return Err(err(
            Code::InvalidAutoRollbackConfig,
            "Automatic rollback is enabled but no events were specified",
        ));
    }
    Ok(())
}

pub fn alarms(c: &AlarmConfiguration) -> Result<()> {
    let alarms = c.alarms.as_deref().unwrap_or_default();
    if alarms.len() > ALARMS_MAX {
        return Err(err(
            Code::AlarmsLimitExceeded,
            format!("At most {ALARMS_MAX} alarms can be configured"),
        ));
    }
    if alarms
        .iter()
        .any(|a| a.name.as_deref().unwrap_or_default().is_empty())
    {
        return Err(err(Code::InvalidAlarmConfig, "Every alarm needs a name"));
    }
    if c.enabled == Some(true) && alarms.is_empty() {
        return Err(err(
            Code::InvalidAlarmConfig,
            "The alarm configuration is enabled but lists no alarms",
        ));
    }
    Ok(())
}

pub fn triggers(list: &[TriggerConfig]) -> Result<()> {
    if list.len() > TRIGGERS_MAX {
        return Err(err(
            Code::TriggerTargetsLimitExceeded,
            format!("At most {TRIGGERS_MAX} triggers can be configured"),
        ));
    }
    for t in list {
        let name = t.trigger_name.as_deref().unwrap_or_default();
        let target = t.trigger_target_arn.as_deref().unwrap_or_default();
        let events = t.trigger_events.as_deref().unwrap_or_default();
        if name.is_empty() || !target.starts_with("arn:") || events.is_empty() {
            return Err(err(
                Code::InvalidTriggerConfig,
                format!("The trigger '{name}' needs a name, a target ARN and at least one event"),
            ));
        }
        if let Some(bad) = events.iter().find(|e| !e.is_known()) {
            return Err(err(
                Code::InvalidTriggerConfig,
                format!("The trigger event '{bad}' is invalid"),
            ));
        }
    }
    Ok(())
}

pub fn deployment_style(s: &DeploymentStyle) -> Result<()> {
    let bad = s
        .deployment_type
        .as_ref()
        .filter(|t| !t.is_known())
        .map(|t| t.to_string())
        .or_else(|| {
            s.deployment_option
                .as_ref()
                .filter(|o| !o.is_known())
                .map(|o| o.to_string())
        });
    if let Some(bad) = bad {
        return Err(err(
            Code::InvalidDeploymentStyle,
            format!("'{bad}' is not a valid deployment style: deployment types are IN_PLACE and BLUE_GREEN, options WITH_TRAFFIC_CONTROL and WITHOUT_TRAFFIC_CONTROL"),
        ));
    }
    Ok(())
}

pub fn blue_green(c: &BlueGreenDeploymentConfiguration) -> Result<()> {
    let bad = |known: bool| !known;
    let invalid = c
        .terminate_blue_instances_on_deployment_success
        .as_ref()
        .and_then(|t| t.action.as_ref())
        .is_some_and(|a| bad(a.is_known()))
        || c.deployment_ready_option
            .as_ref()
            .and_then(|r| r.action_on_timeout.as_ref())
            .is_some_and(|a| bad(a.is_known()))
        || c.green_fleet_provisioning_option
            .as_ref()
            .and_then(|g| g.action.as_ref())
            .is_some_and(|a| bad(a.is_known()));
    if invalid {
        return Err(err(
            Code::InvalidBlueGreenDeploymentConfiguration,
            "The blue/green deployment configuration has an invalid action",
        ));
    }
    Ok(())
}

/// A revision location. Server deployments take S3 bundles of type zip, tar or tgz (YAML and
/// JSON are for Lambda and ECS AppSpecs), GitHub commits, or an AppSpec given inline.
pub fn revision(r: &RevisionLocation) -> Result<()> {
    let invalid = |m: String| Err(err(Code::InvalidRevision, m));
    match &r.revision_type {
        None => {
            invalid("The revision type is required (S3, GitHub, String or AppSpecContent)".into())
        }
        Some(RevisionLocationType::S3) => {
            let s = r.s3_location.clone().unwrap_or_default();
            if s.bucket.as_deref().unwrap_or_default().is_empty()
                || s.key.as_deref().unwrap_or_default().is_empty()
            {
                return invalid("An S3 revision needs s3Location.bucket and s3Location.key".into());
            }
            match &s.bundle_type {
                Some(b) if !b.is_known() => invalid(format!(
                    "The bundle type '{b}' is invalid: use one of [{}]",
                    BundleType::VALUES.join(", ")
                )),
                _ => Ok(()),
            }
        }
        Some(RevisionLocationType::GitHub) => {
            let g = r.git_hub_location.clone().unwrap_or_default();
            if g.repository.as_deref().unwrap_or_default().is_empty()
                || g.commit_id.as_deref().unwrap_or_default().is_empty()
            {
                return invalid(
                    "A GitHub revision needs gitHubLocation.repository and gitHubLocation.commitId"
                        .into(),
                );
            }
            Ok(())
        }
        Some(RevisionLocationType::String) => match &r.string {
            Some(s) if s.content.as_deref().is_some_and(|c| !c.is_empty()) => Ok(()),
            _ => invalid("A String revision needs string.content".into()),
        },
        Some(RevisionLocationType::AppSpecContent) => match &r.app_spec_content {
            Some(s) if s.content.as_deref().is_some_and(|c| !c.is_empty()) => Ok(()),
            _ => invalid("An AppSpecContent revision needs appSpecContent.content".into()),
        },
        Some(other) => invalid(format!(
            "The revision type '{other}' is invalid: use one of [{}]",
            RevisionLocationType::VALUES.join(", ")
        )),
    }
}

/// A revision a Server deployment can take: S3 bundles must be zip, tar or tgz.
pub fn server_revision(r: &RevisionLocation) -> Result<()> {
    revision(r)?;
    let bundle = r.s3_location.as_ref().and_then(|s| s.bundle_type.as_ref());
    if let Some(b @ (BundleType::Yaml | BundleType::Json)) = bundle {
        return Err(err(
            Code::InvalidRevision,
            format!("The bundle type '{b}' is for Lambda and ECS deployments; an EC2/On-premises deployment takes zip, tar or tgz"),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
