//! PutActionRevision: a source action is told of a new revision (by a worker or a script).
//! When it differs from the revision the action last produced, a new execution starts with
//! that revision pinned for the action (trigger `PutActionRevision`), as AWS does; otherwise
//! nothing starts and `newRevision` is false. simfra pins revisions for the sources it runs:
//! CodeCommit (a commit id) and S3 (an object version id); other providers answer a clear
//! ValidationException.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{find_stage, finish, validate_name, Executions, E};
use crate::engine::Trigger;
use crate::protocol::validate::Violations;
use crate::protocol::{RequestContext, Timestamp};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRevision {
    pub revision_id: String,
    pub revision_change_id: String,
    #[allow(dead_code)]
    pub created: Timestamp,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutActionRevisionInput {
    pub pipeline_name: String,
    pub stage_name: String,
    pub action_name: String,
    pub action_revision: ActionRevision,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutActionRevisionOutput {
    pub new_revision: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_execution_id: Option<String>,
}

pub fn put_action_revision(
    ex: &Executions,
    ctx: &RequestContext,
    input: PutActionRevisionInput,
) -> Result<PutActionRevisionOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_name(&mut v, "stageName", &input.stage_name);
    validate_name(&mut v, "actionName", &input.action_name);
    v.length(
        "actionRevision.revisionId",
        &input.action_revision.revision_id,
        1,
        1500,
    );
    v.length(
        "actionRevision.revisionChangeId",
        &input.action_revision.revision_change_id,
        1,
        100,
    );
    finish(v)?;
    let (key, spec, _) = ex.current(ctx, &input.pipeline_name)?;
    let (_, stage) = find_stage(&spec, &input.stage_name, &input.pipeline_name)?;
    let action = stage
        .actions
        .iter()
        .find(|a| a.name == input.action_name)
        .ok_or_else(|| {
            E::ActionNotFound(format!(
                "Action '{}' not found in stage '{}'",
                input.action_name, input.stage_name
            ))
        })?;
    let t = &action.action_type;
    if t.category != "Source" {
        return Err(E::Validation(format!(
            "Action '{}' is not a source action",
            input.action_name
        )));
    }
    let kind = match (t.owner.as_str(), t.provider.as_str()) {
        ("AWS", "CodeCommit") => "COMMIT_ID",
        ("AWS", "S3") => "S3_OBJECT_VERSION_ID",
        (owner, provider) => {
            return Err(E::Validation(format!(
                "PutActionRevision for {owner}/{provider} source actions is not supported by simfra yet (CodeCommit and S3 sources are)"
            )))
        }
    };
    let revision = &input.action_revision.revision_id;
    let current = ex
        .engine
        .records()
        .latest_action(&key, &input.stage_name, &input.action_name)
        .and_then(|a| a.current_revision)
        .map(|r| r.revision_id);
    if current.as_deref() == Some(revision.as_str()) {
        return Ok(PutActionRevisionOutput {
            new_revision: false,
            pipeline_execution_id: None,
        });
    }
    let mut overrides = BTreeMap::new();
    overrides.insert(
        input.action_name.clone(),
        (kind.to_string(), revision.clone()),
    );
    let id = ex.start(
        ctx,
        &input.pipeline_name,
        Trigger {
            trigger_type: "PutActionRevision".into(),
            trigger_detail: ctx.caller_arn(),
        },
        &[],
        None,
        overrides,
    )?;
    Ok(PutActionRevisionOutput {
        new_revision: true,
        pipeline_execution_id: Some(id),
    })
}
