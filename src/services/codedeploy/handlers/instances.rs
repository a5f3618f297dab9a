//! On-premises instances: RegisterOnPremisesInstance (exactly one of an IAM user or session
//! ARN), DeregisterOnPremisesInstance (the instance stays listed with its `deregisterTime`),
//! GetOnPremisesInstance, ListOnPremisesInstances (by registration status and tag filters),
//! BatchGetOnPremisesInstances, AddTagsToOnPremisesInstances and
//! RemoveTagsFromOnPremisesInstances. The launcher hears of each registration change once it is
//! stored (the runner gives registered instances a container).

use super::paging::{page, PAGE};
use crate::protocol::{AwsEnum, RequestContext, Timestamp};
use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::InstanceRecord;
use crate::services::codedeploy::{validate, CodeDeploy};

/// BatchGetOnPremisesInstances takes up to 25 names.
const BATCH_MAX: usize = 25;
/// Instances one tagging call may name.
const TAG_CALL_MAX: usize = 100;

pub fn register(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: RegisterOnPremisesInstanceInput,
) -> Result<Empty> {
    validate::instance_name(&input.instance_name)?;
    let user = input.iam_user_arn.filter(|s| !s.is_empty());
    let session = input.iam_session_arn.filter(|s| !s.is_empty());
    match (&user, &session) {
        (Some(_), Some(_)) => {
            return Err(E::new(
                Code::MultipleIamArnsProvided,
                "Both an IAM user ARN and an IAM session ARN were given: use only one",
            ))
        }
        (None, None) => {
            return Err(E::new(
                Code::IamArnRequired,
                "An IAM user ARN or an IAM session ARN is required",
            ))
        }
        (Some(u), None) => validate::iam_user_arn(u)?,
        (None, Some(s)) => validate::iam_session_arn(s)?,
    }
    let (account, region) = (ctx.account_id.as_str(), ctx.region.as_str());
    svc.state.register_instance(InstanceRecord {
        account: account.into(),
        region: region.into(),
        info: InstanceInfo {
            instance_arn: instance_arn(region, account, &input.instance_name),
            instance_name: input.instance_name.clone(),
            iam_session_arn: session,
            iam_user_arn: user,
            register_time: Timestamp::now(),
            deregister_time: None,
            tags: Vec::new(),
        },
        container: None,
    })?;
    svc.launcher()
        .instance_registered(account, region, &input.instance_name);
    Ok(Empty {})
}

/// Deregistering an unknown or already deregistered instance is no error.
pub fn deregister(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: InstanceNameInput,
) -> Result<Empty> {
    validate::instance_name(&input.instance_name)?;
    let (account, region) = (ctx.account_id.as_str(), ctx.region.as_str());
    if svc
        .state
        .deregister_instance(account, region, &input.instance_name)?
    {
        svc.launcher()
            .instance_deregistered(account, region, &input.instance_name);
    }
    Ok(Empty {})
}

pub fn get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: InstanceNameInput,
) -> Result<GetOnPremisesInstanceOutput> {
    validate::instance_name(&input.instance_name)?;
    let rec = svc
        .state
        .instance(&ctx.account_id, &ctx.region, &input.instance_name)
        .ok_or_else(|| E::instance_not_registered(&input.instance_name))?;
    Ok(GetOnPremisesInstanceOutput {
        instance_info: rec.info,
    })
}

/// Registered and deregistered instances unless `registrationStatus` says which; with tag
/// filters, the instances that match any of them.
pub fn list(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ListOnPremisesInstancesInput,
) -> Result<ListOnPremisesInstancesOutput> {
    if let Some(s) = input.registration_status.as_ref().filter(|s| !s.is_known()) {
        return Err(E::new(
            Code::InvalidRegistrationStatus,
            format!("The registration status '{s}' is invalid: use Registered or Deregistered"),
        ));
    }
    let filters = input.tag_filters.unwrap_or_default();
    validate::tag_filters(&filters, "tagFilters", Code::InvalidTagFilter)?;
    let names = svc
        .state
        .instances(&ctx.account_id, &ctx.region)
        .into_iter()
        .filter(|i| match &input.registration_status {
            Some(RegistrationStatus::Registered) => i.is_registered(),
            Some(RegistrationStatus::Deregistered) => !i.is_registered(),
            _ => true,
        })
        .filter(|i| filters.is_empty() || matches_any(&filters, &i.info.tags))
        .map(|i| (i.info.instance_name.clone(), i.info.instance_name))
        .collect();
    let (instance_names, next_token) = page(names, input.next_token.as_deref(), PAGE)?;
    Ok(ListOnPremisesInstancesOutput {
        instance_names,
        next_token,
    })
}

/// Unknown names are left out of the answer.
pub fn batch_get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: InstanceNamesInput,
) -> Result<BatchGetOnPremisesInstancesOutput> {
    let names = required_names(input.instance_names, BATCH_MAX, Code::BatchLimitExceeded)?;
    let instance_infos = names
        .iter()
        .filter_map(|n| svc.state.instance(&ctx.account_id, &ctx.region, n))
        .map(|i| i.info)
        .collect();
    Ok(BatchGetOnPremisesInstancesOutput { instance_infos })
}

fn required_names(names: Option<Vec<String>>, max: usize, too_many: Code) -> Result<Vec<String>> {
    let names = names.unwrap_or_default();
    if names.is_empty() {
        return Err(E::new(
            Code::InstanceNameRequired,
            "At least one on-premises instance name is required",
        ));
    }
    if names.len() > max {
        return Err(E::new(
            too_many,
            format!("At most {max} on-premises instance names can be given"),
        ));
    }
    names.iter().try_for_each(|n| validate::instance_name(n))?;
    Ok(names)
}

/// The named instances, each registered (InstanceNotRegisteredException otherwise).
fn registered(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    names: &[String],
) -> Result<Vec<InstanceRecord>> {
    names
        .iter()
        .map(|n| {
            svc.state
                .instance(&ctx.account_id, &ctx.region, n)
                .filter(InstanceRecord::is_registered)
                .ok_or_else(|| E::instance_not_registered(n))
        })
        .collect()
}

/// Adds tags (a tag with a key the instance has replaces its value); at most 10 per instance.
pub fn add_tags(svc: &CodeDeploy, ctx: &RequestContext, input: InstanceTagsInput) -> Result<Empty> {
    let tags = input.tags.unwrap_or_default();
    validate::instance_tags(&tags)?;
    let names = required_names(
        input.instance_names,
        TAG_CALL_MAX,
        Code::InstanceLimitExceeded,
    )?;
    let mut changed = Vec::new();
    for mut rec in registered(svc, ctx, &names)? {
        for t in &tags {
            match rec.info.tags.iter_mut().find(|x| x.key == t.key) {
                Some(x) => x.value = t.value.clone(),
                None => rec.info.tags.push(t.clone()),
            }
        }
        if rec.info.tags.len() > validate::INSTANCE_TAGS_MAX {
            return Err(E::new(
                Code::TagLimitExceeded,
                format!(
                    "The on-premises instance {} would have more than {} tags",
                    rec.info.instance_name,
                    validate::INSTANCE_TAGS_MAX
                ),
            ));
        }
        changed.push(rec);
    }
    store_tags(svc, ctx, changed)
}

/// Removes the tags with the given keys (and, when a value is given, that value).
pub fn remove_tags(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: InstanceTagsInput,
) -> Result<Empty> {
    let tags = input.tags.unwrap_or_default();
    validate::instance_tags(&tags)?;
    let names = required_names(
        input.instance_names,
        TAG_CALL_MAX,
        Code::InstanceLimitExceeded,
    )?;
    let mut changed = Vec::new();
    for mut rec in registered(svc, ctx, &names)? {
        rec.info.tags.retain(|x| {
            !tags
                .iter()
                .any(|t| t.key == x.key && (t.value.is_none() || t.value == x.value))
        });
        changed.push(rec);
    }
    store_tags(svc, ctx, changed)
}

fn store_tags(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    changed: Vec<InstanceRecord>,
) -> Result<Empty> {
    for rec in changed {
        let tags = rec.info.tags;
        svc.state
            .modify_instance(&ctx.account_id, &ctx.region, &rec.info.instance_name, |i| {
                i.info.tags = tags
            })?;
    }
    Ok(Empty {})
}
