//! Deployments: CreateDeployment (`CodeDeploy::create_deployment`), GetDeployment,
//! BatchGetDeployments, ListDeployments (newest first; by group, status, creation time and
//! external id), StopDeployment (`CodeDeploy::stop_deployment`) and ContinueDeployment (for
//! blue/green deployments, which simfra does not run yet).

use super::paging::{newest_first, page, PAGE};
use crate::protocol::{AwsEnum, RequestContext};
use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::DeploymentRecord;
use crate::services::codedeploy::{validate, CodeDeploy};

/// BatchGetDeployments takes up to 25 ids.
const BATCH_MAX: usize = 25;

/// The creator CodeDeploy records for deployments created through the API.
const API_CREATOR: &str = "user";

pub fn create(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: CreateDeploymentInput,
) -> Result<CreateDeploymentOutput> {
    let deployment_id = svc.create_deployment(&ctx.account_id, &ctx.region, input, API_CREATOR)?;
    Ok(CreateDeploymentOutput { deployment_id })
}

/// A deployment by id (validated), or DeploymentDoesNotExistException.
pub fn require(svc: &CodeDeploy, ctx: &RequestContext, id: &str) -> Result<DeploymentRecord> {
    validate::deployment_id(id)?;
    svc.state
        .deployment(&ctx.account_id, &ctx.region, id)
        .ok_or_else(|| E::deployment_missing(id))
}

pub fn get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: DeploymentIdInput,
) -> Result<GetDeploymentOutput> {
    let d = require(svc, ctx, &input.deployment_id)?;
    Ok(GetDeploymentOutput {
        deployment_info: d.info,
    })
}

/// Unknown ids are left out of the answer.
pub fn batch_get(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: BatchGetDeploymentsInput,
) -> Result<BatchGetDeploymentsOutput> {
    let ids = input.deployment_ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(E::new(
            Code::DeploymentIdRequired,
            "At least one deployment ID is required",
        ));
    }
    if ids.len() > BATCH_MAX {
        return Err(E::new(
            Code::BatchLimitExceeded,
            format!("At most {BATCH_MAX} deployment IDs can be given"),
        ));
    }
    ids.iter().try_for_each(|id| validate::deployment_id(id))?;
    let deployments_info = ids
        .iter()
        .filter_map(|id| svc.state.deployment(&ctx.account_id, &ctx.region, id))
        .map(|d| d.info)
        .collect();
    Ok(BatchGetDeploymentsOutput { deployments_info })
}

/// The deployments of a group (application and group name together), or of the whole account
/// when neither is given; newest first.
pub fn list(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ListDeploymentsInput,
) -> Result<ListDeploymentsOutput> {
    let app = input.application_name.filter(|s| !s.is_empty());
    let group = input.deployment_group_name.filter(|s| !s.is_empty());
    let group_id = match (&app, &group) {
        (None, None) => None,
        (Some(_), None) => {
            return Err(E::new(
                Code::DeploymentGroupNameRequired,
                "deploymentGroupName must be given with applicationName",
            ))
        }
        (None, Some(_)) => {
            return Err(E::new(
                Code::ApplicationNameRequired,
                "applicationName must be given with deploymentGroupName",
            ))
        }
        (Some(a), Some(g)) => {
            validate::application_name(a)?;
            validate::group_name(g)?;
            svc.state
                .require_application(&ctx.account_id, &ctx.region, a)?;
            let rec = svc
                .state
                .group(&ctx.account_id, &ctx.region, a, g)
                .ok_or_else(|| E::group_missing(a, g))?;
            Some(rec.info.deployment_group_id)
        }
    };
    let statuses = input.include_only_statuses.unwrap_or_default();
    if let Some(bad) = statuses.iter().find(|s| !s.is_known()) {
        return Err(E::new(
            Code::InvalidDeploymentStatus,
            format!(
                "The deployment status '{bad}' is invalid: use one of [{}]",
                DeploymentStatus::VALUES.join(", ")
            ),
        ));
    }
    let range = input.create_time_range.unwrap_or_default();
    if let (Some(s), Some(e)) = (range.start, range.end) {
        if s > e {
            return Err(E::new(
                Code::InvalidTimeRange,
                "The time range's start is after its end",
            ));
        }
    }
    let mut items: Vec<(String, String)> = svc
        .state
        .deployments(&ctx.account_id, &ctx.region)
        .into_iter()
        .filter(|d| group_id.as_ref().is_none_or(|g| &d.group_id == g))
        .filter(|d| statuses.is_empty() || statuses.contains(&d.info.status))
        .filter(|d| range.start.is_none_or(|s| d.info.create_time >= s))
        .filter(|d| range.end.is_none_or(|e| d.info.create_time <= e))
        .filter(|d| {
            input
                .external_id
                .as_ref()
                .is_none_or(|x| d.info.external_id.as_ref() == Some(x))
        })
        .map(|d| {
            let id = d.info.deployment_id;
            (newest_first(d.info.create_time.millis(), &id), id)
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (deployments, next_token) = page(items, input.next_token.as_deref(), PAGE)?;
    Ok(ListDeploymentsOutput {
        deployments,
        next_token,
    })
}

pub fn stop(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: StopDeploymentInput,
) -> Result<StopDeploymentOutput> {
    svc.stop_deployment(
        &ctx.account_id,
        &ctx.region,
        &input.deployment_id,
        input.auto_rollback_enabled,
    )
}

/// ContinueDeployment reroutes a blue/green deployment's traffic; an in-place deployment has
/// none to reroute, and simfra does not run blue/green deployments yet.
pub fn continue_deployment(
    svc: &CodeDeploy,
    ctx: &RequestContext,
    input: ContinueDeploymentInput,
) -> Result<Empty> {
    let d = require(svc, ctx, &input.deployment_id)?;
    if let Some(w) = input
        .deployment_wait_type
        .as_ref()
        .filter(|w| !w.is_known())
    {
        return Err(E::new(
            Code::InvalidDeploymentWaitType,
            format!("The wait type '{w}' is invalid: use READY_WAIT or TERMINATION_WAIT"),
        ));
    }
    if d.info.status.is_terminal() {
        return Err(E::new(
            Code::DeploymentAlreadyCompleted,
            format!("Deployment {} has already completed", d.info.deployment_id),
        ));
    }
    let message = if d.info.deployment_style.is_blue_green() {
        "ContinueDeployment is not supported by simfra yet: simfra does not run blue/green deployments"
    } else {
        "ContinueDeployment applies to blue/green deployments only; this deployment is in place"
    };
    Err(E::new(Code::UnsupportedActionForDeploymentType, message))
}
