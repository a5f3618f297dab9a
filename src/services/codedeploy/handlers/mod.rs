//! CodeDeploy's operations: thin handlers over `CodeDeploy` (mod.rs) and its state, one file
//! per domain. Every operation of the model is in the table: the ones simfra does not offer
//! answer a clear error (`not_yet`).

mod applications;
mod configs;
mod deployments;
mod groups;
mod instances;
pub mod paging;
mod revisions;
mod tags;
mod targets;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use super::CodeDeploy;
use crate::protocol::{JsonService, RequestContext};

/// Registers `Name => handler` pairs: each handler is `fn(&CodeDeploy, &RequestContext, Input)
/// -> Result<Output>`.
macro_rules! ops {
    ($json:expr, $svc:expr, { $($name:literal => $f:path),+ $(,)? }) => {{
        let json = $json;
        $(
            let s = $svc.clone();
            let json = json.op($name, move |ctx: &RequestContext, input| $f(&s, ctx, input));
        )+
        json
    }};
}

pub fn register(json: JsonService, svc: &Arc<CodeDeploy>) -> JsonService {
    ops!(json, svc, {
        "CreateApplication" => applications::create,
        "GetApplication" => applications::get,
        "UpdateApplication" => applications::update,
        "DeleteApplication" => applications::delete,
        "ListApplications" => applications::list,
        "BatchGetApplications" => applications::batch_get,
        "CreateDeploymentGroup" => groups::create,
        "GetDeploymentGroup" => groups::get,
        "UpdateDeploymentGroup" => groups::update,
        "DeleteDeploymentGroup" => groups::delete,
        "ListDeploymentGroups" => groups::list,
        "BatchGetDeploymentGroups" => groups::batch_get,
        "CreateDeploymentConfig" => configs::create,
        "GetDeploymentConfig" => configs::get,
        "ListDeploymentConfigs" => configs::list,
        "DeleteDeploymentConfig" => configs::delete,
        "RegisterOnPremisesInstance" => instances::register,
        "DeregisterOnPremisesInstance" => instances::deregister,
        "GetOnPremisesInstance" => instances::get,
        "ListOnPremisesInstances" => instances::list,
        "BatchGetOnPremisesInstances" => instances::batch_get,
        "AddTagsToOnPremisesInstances" => instances::add_tags,
        "RemoveTagsFromOnPremisesInstances" => instances::remove_tags,
        "RegisterApplicationRevision" => revisions::register,
        "GetApplicationRevision" => revisions::get,
        "ListApplicationRevisions" => revisions::list,
        "BatchGetApplicationRevisions" => revisions::batch_get,
        "CreateDeployment" => deployments::create,
        "GetDeployment" => deployments::get,
        "BatchGetDeployments" => deployments::batch_get,
        "ListDeployments" => deployments::list,
        "StopDeployment" => deployments::stop,
        "ContinueDeployment" => deployments::continue_deployment,
        "ListDeploymentTargets" => targets::list_targets,
        "BatchGetDeploymentTargets" => targets::batch_get_targets,
        "GetDeploymentTarget" => targets::get_target,
        "ListDeploymentInstances" => targets::list_instances,
        "GetDeploymentInstance" => targets::get_instance,
        "BatchGetDeploymentInstances" => targets::batch_get_instances,
        "TagResource" => tags::tag,
        "UntagResource" => tags::untag,
        "ListTagsForResource" => tags::list,
    })
}

/// What CodeDeploy does not offer yet answers a clear error.
pub fn not_yet(json: JsonService) -> JsonService {
    json.not_yet(
        "DeleteGitHubAccountToken",
        "simfra's CodeDeploy has no GitHub account connections",
    )
    .not_yet(
        "ListGitHubAccountTokenNames",
        "simfra's CodeDeploy has no GitHub account connections",
    )
    .not_yet(
        "DeleteResourcesByExternalId",
        "simfra's CodeDeploy has no deployments linked to external (CloudFormation) resources",
    )
    .not_yet(
        "PutLifecycleEventHookExecutionStatus",
        "simfra's CodeDeploy runs EC2/On-premises deployments only; Lambda and ECS validation hooks come later",
    )
    .not_yet(
        "SkipWaitTimeForInstanceTermination",
        "simfra's CodeDeploy does not run blue/green deployments yet",
    )
}
