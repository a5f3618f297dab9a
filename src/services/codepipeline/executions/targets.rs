//! ListDeployActionExecutionTargets: the targets a deploy action execution deploys to.
//!
//! Decision (AWS documents the operation with its EC2 deploy action, which simfra does not
//! have): a CodeDeploy action's targets are its deployment's instances, each lifecycle event
//! one of the target's events (its diagnostics message as the event's context); actions of
//! other providers have no targets. Without `pipelineName` the action execution is looked up
//! in every pipeline of the account and region.

use super::model::*;
use super::{finish, max_results, page, validate_name, Executions, E};
use crate::engine::ports::DeployTarget;
use crate::engine::spec::PipelineKey;
use crate::protocol::validate::{member, Violations};
use crate::protocol::RequestContext;

pub fn list_deploy_action_execution_targets(
    ex: &Executions,
    ctx: &RequestContext,
    input: ListDeployActionExecutionTargetsInput,
) -> Result<ListDeployActionExecutionTargetsOutput, E> {
    let mut v = Violations::new();
    if let Some(name) = &input.pipeline_name {
        validate_name(&mut v, "pipelineName", name);
    }
    v.length("actionExecutionId", &input.action_execution_id, 1, 200);
    let max = max_results(&mut v, input.max_results);
    for (i, f) in input.filters.iter().enumerate() {
        let path = member("filters", i);
        if let Some(name) = &f.name {
            if name != "TARGET_STATUS" {
                v.push(
                    name,
                    &format!("{path}.name"),
                    "Member must satisfy enum value set: [TARGET_STATUS]",
                );
            }
        }
        for (j, value) in f.values.iter().enumerate() {
            v.length(&member(&format!("{path}.values"), j), value, 1, usize::MAX);
        }
    }
    if let Some(t) = &input.next_token {
        v.length("nextToken", t, 1, 2048);
    }
    finish(v)?;

    if let Some(name) = &input.pipeline_name {
        ex.current(ctx, name)?;
    }
    let record = ex
        .engine
        .records()
        .action(&input.action_execution_id)
        .filter(|r| {
            r.key.account == ctx.account_id
                && r.key.region == ctx.region
                && input
                    .pipeline_name
                    .as_ref()
                    .is_none_or(|n| r.key == PipelineKey::new(&ctx.account_id, &ctx.region, n))
        })
        .ok_or_else(|| {
            E::ActionExecutionNotFound(format!(
                "Action execution {} not found",
                input.action_execution_id
            ))
        })?;
    let targets = ex
        .engine
        .deploy_targets(&record)
        .map_err(|e| E::Internal(format!("reading the deployment's targets: {e}")))?;
    // TARGET_STATUS filters (the only name, checked above): a target passes when its status
    // is one of the values of every filter that has values (case-insensitive).
    let targets: Vec<DeployTarget> = targets
        .into_iter()
        .filter(|t| {
            input.filters.iter().all(|f| {
                f.values.is_empty() || f.values.iter().any(|s| s.eq_ignore_ascii_case(&t.status))
            })
        })
        .collect();
    let (items, next_token) = page(targets, |t| t.id.as_str(), max, input.next_token.as_deref())?;
    Ok(ListDeployActionExecutionTargetsOutput {
        targets: items.into_iter().map(view).collect(),
        next_token,
    })
}

fn view(t: DeployTarget) -> DeployActionExecutionTarget {
    DeployActionExecutionTarget {
        target_id: t.id,
        target_type: t.kind,
        status: t.status,
        start_time: t.start_time,
        end_time: t.end_time,
        events: t
            .events
            .into_iter()
            .map(|e| DeployTargetEvent {
                name: e.name,
                status: e.status,
                start_time: e.start_time,
                end_time: e.end_time,
                context: e.message.map(|message| DeployTargetEventContext {
                    ssm_command_id: None,
                    message: Some(message),
                }),
            })
            .collect(),
    }
}
