//! A deployment's targets, as the runner records them in the deployment: ListDeploymentTargets,
//! BatchGetDeploymentTargets, GetDeploymentTarget, and the older instance view
//! (ListDeploymentInstances, GetDeploymentInstance, BatchGetDeploymentInstances). A target is
//! named by its id (an on-premises instance's name) or its ARN. Before a deployment has
//! started (Created, Queued) the target operations answer DeploymentNotStartedException.

use super::deployments::require;
use super::paging::{page, PAGE};
use crate::protocol::{AwsEnum, RequestContext};
use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::DeploymentRecord;
use crate::services::codedeploy::CodeDeploy;

/// BatchGetDeploymentTargets and BatchGetDeploymentInstances take up to 25 ids.
const BATCH_MAX: usize = 25;

fn started(d: &DeploymentRecord) -> Result<()> {
    if matches!(
        d.info.status,
        DeploymentStatus::Created | DeploymentStatus::Queued
    ) {
        return Err(E::new(
            Code::DeploymentNotStarted,
            format!("The deployment {} has not started", d.info.deployment_id),
        ));
    }
    Ok(())
}

fn find<'a>(d: &'a DeploymentRecord, id: &str) -> Option<&'a InstanceTarget> {
    d.targets
        .iter()
        .find(|t| t.target_id == id || t.target_arn == id)
}

/// A page of the targets that pass `keep`, in the runner's order.
fn ids_page(
    d: DeploymentRecord,
    token: Option<&str>,
    keep: impl Fn(&InstanceTarget) -> bool,
) -> Result<(Vec<String>, Option<String>)> {
    let items = d
        .targets
        .into_iter()
        .enumerate()
        .filter(|(_, t)| keep(t))
        .map(|(i, t)| (format!("{i:08}"), t.target_id))
        .collect();
    page(items, token, PAGE)
}

fn statuses(values: &[String]) -> Result<Vec<TargetStatus>> {
    values
        .iter()
        .map(|v| {
            let s = TargetStatus::parse(v);
            if s.is_known() {
                Ok(s)
            } else {
                Err(invalid_status(v))
            }
        })
        .collect()
}

fn invalid_status(v: &str) -> E {
    E::new(
        Code::InvalidInstanceStatus,
        format!(
            "The status '{v}' is invalid: use one of [{}]",
            TargetStatus::VALUES.join(", ")
        ),
    )
}

fn labels(values: &[String]) -> Result<Vec<TargetLabel>> {
    values
        .iter()
        .map(|v| {
            let l = TargetLabel::parse(v);
            if l.is_known() {
                Ok(l)
            } else {
                Err(E::new(
                    Code::InvalidInstanceType,
                    format!("The instance label '{v}' is invalid: use Blue or Green"),
                ))
            }
        })
        .collect()
}

pub fn list_targets(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ListDeploymentTargetsInput,
) -> Result<ListDeploymentTargetsOutput> {
    let d = require(svc, ctx, &input.deployment_id)?;
    let mut want_status = Vec::new();
    let mut want_label = Vec::new();
    for (name, values) in input.target_filters.unwrap_or_default() {
        match name.as_str() {
            "TargetStatus" => want_status = statuses(&values)?,
            "ServerInstanceLabel" => want_label = labels(&values)?,
            other => {
                return Err(E::new(
                    Code::InvalidTargetFilterName,
                    format!("The target filter '{other}' is invalid: use TargetStatus or ServerInstanceLabel"),
                ))
            }
        }
    }
    started(&d)?;
    let (target_ids, next_token) = ids_page(d, input.next_token.as_deref(), |t| {
        (want_status.is_empty() || want_status.contains(&t.status))
            && (want_label.is_empty()
                || t.instance_label
                    .as_ref()
                    .is_some_and(|l| want_label.contains(l)))
    })?;
    Ok(ListDeploymentTargetsOutput {
        target_ids,
        next_token,
    })
}

fn target_missing(d: &DeploymentRecord, id: &str) -> E {
    E::new(
        Code::DeploymentTargetDoesNotExist,
        format!(
            "The target {id} does not belong to deployment {}",
            d.info.deployment_id
        ),
    )
}

pub fn batch_get_targets(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: BatchGetDeploymentTargetsInput,
) -> Result<BatchGetDeploymentTargetsOutput> {
    let d = require(svc, ctx, &input.deployment_id)?;
    let ids = input.target_ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(E::new(
            Code::DeploymentTargetIdRequired,
            "At least one target ID is required",
        ));
    }
    if ids.len() > BATCH_MAX {
        return Err(E::new(
            Code::DeploymentTargetListSizeExceeded,
            format!("At most {BATCH_MAX} target IDs can be given"),
        ));
    }
    started(&d)?;
    let deployment_targets = ids
        .iter()
        .map(|id| {
            find(&d, id)
                .cloned()
                .map(DeploymentTarget::from)
                .ok_or_else(|| target_missing(&d, id))
        })
        .collect::<Result<_>>()?;
    Ok(BatchGetDeploymentTargetsOutput { deployment_targets })
}

pub fn get_target(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: GetDeploymentTargetInput,
) -> Result<GetDeploymentTargetOutput> {
    let d = require(svc, ctx, &input.deployment_id)?;
    if input.target_id.is_empty() {
        return Err(E::new(
            Code::DeploymentTargetIdRequired,
            "A target ID is required",
        ));
    }
    started(&d)?;
    let t = find(&d, &input.target_id).ok_or_else(|| target_missing(&d, &input.target_id))?;
    Ok(GetDeploymentTargetOutput {
        deployment_target: t.clone().into(),
    })
}

/// The older instance operations cover EC2/On-premises (and Lambda) deployments.
fn instance_platform(d: &DeploymentRecord) -> Result<()> {
    if d.info.compute_platform == ComputePlatform::Ecs {
        return Err(E::new(
            Code::InvalidComputePlatform,
            "The deployment instance operations do not apply to ECS deployments: use the deployment target operations",
        ));
    }
    Ok(())
}

pub fn list_instances(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ListDeploymentInstancesInput,
) -> Result<ListDeploymentInstancesOutput> {
    let d = require(svc, ctx, &input.deployment_id)?;
    instance_platform(&d)?;
    let want_status = input.instance_status_filter.unwrap_or_default();
    if let Some(bad) = want_status.iter().find(|s| !s.is_known()) {
        return Err(invalid_status(bad.as_str()));
    }
    let want_type = input.instance_type_filter.unwrap_or_default();
    if let Some(bad) = want_type.iter().find(|t| !t.is_known()) {
        return Err(E::new(
            Code::InvalidInstanceType,
            format!("The instance type '{bad}' is invalid: use Blue or Green"),
        ));
    }
    if !want_type.is_empty() && !d.info.deployment_style.is_blue_green() {
        return Err(E::new(
            Code::InvalidDeploymentInstanceType,
            "Instance types (Blue, Green) apply to blue/green deployments only",
        ));
    }
    started(&d)?;
    let (instances_list, next_token) = ids_page(d, input.next_token.as_deref(), |t| {
        (want_status.is_empty() || want_status.contains(&t.status))
            && (want_type.is_empty()
                || t.instance_label
                    .as_ref()
                    .is_some_and(|l| want_type.contains(l)))
    })?;
    Ok(ListDeploymentInstancesOutput {
        instances_list,
        next_token,
    })
}

fn instance_missing(d: &DeploymentRecord, id: &str) -> E {
    E::new(
        Code::InstanceDoesNotExist,
        format!(
            "The instance {id} is not part of deployment {}",
            d.info.deployment_id
        ),
    )
}

pub fn get_instance(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: GetDeploymentInstanceInput,
) -> Result<GetDeploymentInstanceOutput> {
    let d = require(svc, ctx, &input.deployment_id)?;
    if input.instance_id.is_empty() {
        return Err(E::new(
            Code::InstanceIdRequired,
            "An instance ID is required",
        ));
    }
    instance_platform(&d)?;
    let t = find(&d, &input.instance_id).ok_or_else(|| instance_missing(&d, &input.instance_id))?;
    Ok(GetDeploymentInstanceOutput {
        instance_summary: t.clone().into(),
    })
}

/// Instances that are not part of the deployment are named in `errorMessage`.
pub fn batch_get_instances(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: BatchGetDeploymentInstancesInput,
) -> Result<BatchGetDeploymentInstancesOutput> {
    let d = require(svc, ctx, &input.deployment_id)?;
    let ids = input.instance_ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(E::new(
            Code::InstanceIdRequired,
            "At least one instance ID is required",
        ));
    }
    if ids.len() > BATCH_MAX {
        return Err(E::new(
            Code::BatchLimitExceeded,
            format!("At most {BATCH_MAX} instance IDs can be given"),
        ));
    }
    instance_platform(&d)?;
    let mut instances_summary = Vec::new();
    let mut missing = Vec::new();
    for id in &ids {
        match find(&d, id) {
            Some(t) => instances_summary.push(t.clone().into()),
            None => missing.push(id.as_str()),
        }
    }
    Ok(BatchGetDeploymentInstancesOutput {
        instances_summary,
        error_message: (!missing.is_empty()).then(|| {
            format!(
                "Instances not part of deployment {}: {}",
                d.info.deployment_id,
                missing.join(", ")
            )
        }),
    })
}
